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
use bytes::Bytes;
use crossdrive::bench::Bench;
use crossdrive::bench::report::BenchReport;
use crossdrive::scenario::Step;
use crossdrive::{BoxFuture, Driver, DriverResponse, Error, Scenario};
use crossdrive::{Direct, DriverSpec, Drivers};

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

fn read(dir: &Path) -> (BenchReport, String, String) {
    let text = |file: &str| {
        std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    };
    let report = BenchReport::from_json(&text("bench.json")).expect("a crossdrive.bench.v1 report");
    (report, text("bench.md"), text("bench.csv"))
}

#[test]
fn a_wrong_expected_status_on_every_driver_is_one_scenario_error_in_a_report_still_written() {
    let dir = out("a_wrong_expected_status_on_every_driver_is_one_scenario_error");
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("list_items").step(Step::get("/items").expect(200)),
            Scenario::new("teapot").step(Step::get("/teapot").expect(200)),
        ])
        .drivers(drivers());
    assert_eq!(run(bench, &dir, &[]), ExitCode::from(1));
    let (report, markdown, csv) = read(&dir);
    // The good scenario is measured on both drivers; no wrong answer is timed.
    let measured: Vec<(&str, &str)> = report
        .results
        .iter()
        .map(|r| (r.scenario.as_str(), r.driver.as_str()))
        .collect();
    assert_eq!(measured, [("list_items", "direct"), ("list_items", "mine")]);
    let failed: Vec<(&str, &str, bool)> = report
        .failed
        .iter()
        .map(|f| (f.scenario.as_str(), f.driver.as_str(), f.every_driver))
        .collect();
    assert_eq!(
        failed,
        [("teapot", "direct", true), ("teapot", "mine", true)]
    );
    let expected = "teapot: every driver answered 418 I'm a teapot where the scenario expects \
                    status 200 OK (step 1 (GET /teapot)): the scenario or the app is wrong, not a \
                    driver";
    for cell in &report.failed {
        assert!(cell.error.starts_with(expected), "{}", cell.error);
        assert!(
            !cell.error.contains("the driver returned a wrong answer"),
            "{}",
            cell.error
        );
    }
    assert!(
        markdown.contains("| teapot | failed ✗ | failed ✗ |"),
        "{markdown}"
    );
    assert_eq!(markdown.matches(expected).count(), 1, "{markdown}");
    assert_eq!(
        csv.matches(",\"teapot: every driver answered").count(),
        2,
        "{csv}"
    );
    assert!(dir.join("bench.svg").is_file(), "bench.svg was not written");
}

/// A driver of the user's own that answers 500 to everything: a driver
/// bug, not the scenario's or the app's.
struct Broken(Direct);

impl Driver for Broken {
    fn name(&self) -> &str {
        "broken"
    }

    fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let mut delivered = self.0.send(request).await?;
            *delivered.response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            Ok(delivered)
        })
    }
}

#[test]
fn a_wrong_answer_on_one_driver_names_that_driver_and_the_others_are_measured() {
    let dir = out("a_wrong_answer_on_one_driver_names_that_driver");
    let broken = DriverSpec::custom("broken", |app, _| Ok(Arc::new(Broken(Direct::new(app)))));
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("list_items").step(Step::get("/items").expect(200)),
        ])
        .drivers(drivers().with(broken));
    assert_eq!(run(bench, &dir, &[]), ExitCode::from(1));
    let (report, markdown, _) = read(&dir);
    let drivers: Vec<&str> = report.results.iter().map(|r| r.driver.as_str()).collect();
    assert_eq!(drivers, ["direct", "mine"]);
    let [cell] = report.failed.as_slice() else {
        panic!("one failed cell expected: {:?}", report.failed);
    };
    assert_eq!((cell.driver.as_str(), cell.every_driver), ("broken", false));
    assert!(
        cell.error.starts_with("list_items on broken: "),
        "{}",
        cell.error
    );
    assert!(
        cell.error
            .contains("2 of the 3 drivers answered as declared, so look at this driver"),
        "{}",
        cell.error
    );
    assert!(
        markdown.contains("- `list_items` on `broken`: list_items on broken: "),
        "{markdown}"
    );
}

#[test]
fn percentiles_from_fewer_than_100_samples_are_marked_and_from_enough_are_not() {
    let dir = out("percentiles_from_fewer_than_100_samples_are_marked");
    let scenarios = || vec![Scenario::new("list_items").step(Step::get("/items").expect(200))];
    let bench = Bench::new(app).scenarios(scenarios()).drivers(drivers());
    assert_eq!(run(bench, &dir, &["--driver", "direct"]), ExitCode::SUCCESS);
    let (report, markdown, csv) = read(&dir);
    let row = &report.results[0];
    assert!(row.samples <= 40, "{row:?}");
    assert!(row.low_samples, "{row:?}");
    assert!(
        markdown.contains(&format!(" | {} § |", row.samples)),
        "{markdown}"
    );
    assert!(
        markdown.contains("§ low samples: fewer than 100 timed samples"),
        "{markdown}"
    );
    assert!(
        csv.lines().nth(1).unwrap_or_default().ends_with(",true,"),
        "{csv}"
    );

    let bench = Bench::new(app).scenarios(scenarios()).drivers(drivers());
    let out = dir.display().to_string();
    let enough = [
        "api",
        "--driver",
        "direct",
        "--samples",
        "400",
        "--duration",
        "10s",
        "--out",
        &out,
    ];
    assert_eq!(bench.run_with(enough, |_| None), ExitCode::SUCCESS);
    let (report, markdown, _) = read(&dir);
    assert_eq!(report.results[0].samples, 400);
    assert!(!report.results[0].low_samples, "{:?}", report.results[0]);
    assert!(!markdown.contains('§'), "{markdown}");
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

#[test]
fn format_bmf_writes_the_run_for_bencher_and_a_described_floor_reaches_the_report() {
    let dir = out("format_bmf_writes_the_run_for_bencher_and_a_described_floor_reaches_the_report");
    let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
        .floor("mine-raw", |app| Ok(Arc::new(Direct::new(app))))
        .floor_about("the app called in-process, without the guard");
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("list_items").step(Step::get("/items").expect(200)),
        ])
        .drivers(Drivers::empty().with(DriverSpec::direct()).with(mine));
    assert_eq!(run(bench, &dir, &["--format", "bmf"]), ExitCode::SUCCESS);
    let (report, markdown, _) = read(&dir);
    let about: Vec<(&str, Option<&str>)> = report
        .results
        .iter()
        .map(|r| (r.driver.as_str(), r.floor_about.as_deref()))
        .collect();
    assert_eq!(
        about,
        [
            ("direct", None),
            ("mine", Some("the app called in-process, without the guard"))
        ]
    );
    assert!(
        markdown.contains(
            "- `mine` (in-process): floor `mine-raw`: the app called in-process, without the guard"
        ),
        "{markdown}"
    );
    let bmf = std::fs::read_to_string(dir.join(crossdrive::bench::bmf::FILE))
        .expect("--format bmf writes bench.bmf.json");
    assert_eq!(crossdrive::bench::bmf::check(&bmf), Ok(()));
    let value: serde_json::Value = serde_json::from_str(&bmf).unwrap();
    let mut names: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|name| name.trim_end_matches("_bencher_ignore"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "list_items/direct/same-thread",
            "list_items/direct/same-thread/floor:raw-oneshot",
            "list_items/mine/same-thread",
            "list_items/mine/same-thread/floor:mine-raw",
        ]
    );
}

#[test]
fn without_format_bmf_no_bencher_file_is_written() {
    let dir = out("without_format_bmf_no_bencher_file_is_written");
    let bench = Bench::new(app)
        .scenarios(vec![
            Scenario::new("list_items").step(Step::get("/items").expect(200)),
        ])
        .drivers(Drivers::empty().with(DriverSpec::direct()));
    assert_eq!(run(bench, &dir, &[]), ExitCode::SUCCESS);
    assert!(dir.join("bench.json").is_file());
    assert!(!dir.join(crossdrive::bench::bmf::FILE).exists());
}
