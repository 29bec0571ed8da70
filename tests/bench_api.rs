//! The bench as a user crate calls it: `Bench` over its own app, its own
//! scenarios and a driver of its own, run with an argv of the test's
//! choosing. Small sample counts: nothing here judges speed, only that the
//! run measures what it was given, refuses what it cannot run, and never
//! times a wrong answer.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use crossdrive::Scenario;
use crossdrive::bench::report::BenchReport;
use crossdrive::scenario::Step;
use crossdrive_adapters::bench::Bench;
use crossdrive_adapters::{Direct, DriverSpec, Drivers};

fn app() -> Router {
    Router::new().route("/items", get(|| async { "[]" })).route(
        "/teapot",
        get(|| async { (http::StatusCode::IM_A_TEAPOT, "short and stout") }),
    )
}

fn drivers() -> Drivers {
    let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))));
    Drivers::empty().with(DriverSpec::direct()).with(mine)
}

fn out(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("bench_api")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(bench: Bench, out: &Path, flags: &[&str]) -> ExitCode {
    let out = out.display().to_string();
    let argv = [
        "api",
        "--samples",
        "40",
        "--duration",
        "20ms",
        "--out",
        &out,
    ]
    .into_iter()
    .chain(flags.iter().copied())
    .map(String::from);
    bench.run_with(argv, |_| None)
}

#[test]
fn a_users_scenarios_run_on_its_drivers_each_beside_a_floor() {
    let dir = out("a_users_scenarios_run_on_its_drivers_each_beside_a_floor");
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("list_items").step(Step::get("/items").expect(200)),
        ])
        .drivers(drivers());
    assert_eq!(run(bench, &dir, &[]), ExitCode::SUCCESS);
    let report = BenchReport::from_json(&std::fs::read_to_string(dir.join("bench.json")).unwrap())
        .expect("a crossdrive.bench.v1 report");
    let cells: Vec<(&str, &str, &str, &str)> = report
        .results
        .iter()
        .map(|r| {
            (
                r.scenario.as_str(),
                r.driver.as_str(),
                r.floor.as_str(),
                r.topology.as_str(),
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            ("list_items", "direct", "raw-oneshot", "same-thread"),
            // A custom driver without a floor of its own: the in-process minimum.
            ("list_items", "mine", "raw-oneshot", "same-thread"),
        ]
    );
    for file in ["bench.md", "bench.csv", "bench.svg"] {
        assert!(dir.join(file).is_file(), "{file} was not written");
    }
}

#[test]
fn a_custom_floor_and_the_suite_topology_are_what_the_rows_say() {
    let dir = out("a_custom_floor_and_the_suite_topology_are_what_the_rows_say");
    let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
        .floor("mine-raw", |app| Ok(Arc::new(Direct::new(app))));
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("list_items").step(Step::get("/items").expect(200)),
        ])
        .drivers(Drivers::empty().with(DriverSpec::http1()).with(mine));
    assert_eq!(
        run(bench, &dir, &["--topology", "suite"]),
        ExitCode::SUCCESS
    );
    let report = BenchReport::from_json(&std::fs::read_to_string(dir.join("bench.json")).unwrap())
        .expect("a crossdrive.bench.v1 report");
    assert_eq!(report.topology, "suite");
    let rows: Vec<(&str, &str, &str)> = report
        .results
        .iter()
        .map(|r| (r.driver.as_str(), r.floor.as_str(), r.topology.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("http1", "raw-hyper-http1", "suite"),
            ("mine", "mine-raw", "suite")
        ]
    );
    let markdown = std::fs::read_to_string(dir.join("bench.md")).unwrap();
    assert!(
        markdown.contains("topology suite (each driver reached exactly as a `suite!` test"),
        "{markdown}"
    );
}

#[test]
fn a_wrong_answer_fails_the_bench_instead_of_being_timed() {
    let dir = out("a_wrong_answer_fails_the_bench_instead_of_being_timed");
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("teapot").step(Step::get("/teapot").expect(200)),
        ])
        .drivers(drivers());
    assert_eq!(run(bench, &dir, &["--driver", "mine"]), ExitCode::from(1));
    assert!(
        !dir.join("bench.json").exists(),
        "a failed run wrote a report"
    );
}

#[test]
fn an_unknown_driver_or_a_malformed_scenario_is_refused_with_exit_2() {
    let dir = out("an_unknown_driver_or_a_malformed_scenario_is_refused_with_exit_2");
    let scenarios = || vec![Scenario::new("list_items").step(Step::get("/items").expect(200))];
    let bench = Bench::new(app).scenarios(scenarios()).drivers(drivers());
    assert_eq!(run(bench, &dir, &["--driver", "http1"]), ExitCode::from(2));
    let bench = Bench::new(app).scenarios(vec![Scenario::new("List items")]);
    assert_eq!(run(bench, &dir, &[]), ExitCode::from(2));
    let bench = Bench::new(app)
        .scenarios(scenarios())
        .default_scenarios(["missing"]);
    assert_eq!(run(bench, &dir, &[]), ExitCode::from(2));
}

#[test]
fn a_scenario_checked_through_a_client_panics_naming_the_step_and_the_answer() {
    let client = crossdrive::Client::new(Direct::new(app()));
    let teapot = Scenario::new("teapot").step(Step::get("/teapot").expect(200));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let error = rt
        .block_on(teapot.try_check(&client))
        .unwrap_err()
        .to_string();
    for part in [
        "scenario `teapot`, step 1 (GET /teapot)",
        "expected status 200 OK",
        "got status 418",
        "short and stout",
    ] {
        assert!(error.contains(part), "expected `{part}` in: {error}");
    }
}
