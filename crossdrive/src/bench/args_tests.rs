//! The bench's flags: every bad flag is refused before anything is
//! measured, with a message naming the flag and the value and saying what
//! to write, and good command lines give the plan they ask for. Nothing
//! here is timed or measured. (The contents of baseline files, beyond one
//! case each, are checked in `tests/bad_input.rs` and
//! `crossdrive/tests/bench_report.rs`.)

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bench::report::{BenchReport, Machine, SCHEMA};
use crate::bench::{Plan, Topology};

use super::{ArgsError, Catalog, Format, Mode, RunPlan, SLOW_ENV, Slow};

/// The built-in drivers, in table order.
const DRIVERS: &[&str] = &[
    "direct",
    "lambda",
    "lambda-url",
    "lambda-v1",
    "lambda-alb",
    "lambda-runtime",
    "lambda-url-stream",
    "http1",
    "http2",
    "http2-tls",
    #[cfg(feature = "http3")]
    "http3",
    "http1-fresh",
];

/// The reference bench's scenario names, in table order.
const SCENARIOS: &[&str] = &[
    "simple_get",
    "get_with_param",
    "auth_get_ok",
    "auth_get_forbidden",
    "post_create",
    "put_update",
    "delete",
    "unauthorized_401",
    "not_found_404",
    "method_not_allowed_405",
    "conditional_get_304",
    "crud_cycle",
    "payload_empty",
    "payload_1kib",
    "payload_64kib",
    "payload_1mib",
    "streamed_response",
];

fn catalog() -> Catalog<'static> {
    Catalog {
        drivers: DRIVERS.to_vec(),
        scenarios: SCENARIOS.to_vec(),
        default_scenarios: SCENARIOS.to_vec(),
        command: "cargo bench --bench latency --".to_owned(),
    }
}

// The names below are every built-in driver's, which only a build with
// every driver family has.
#[cfg(all(feature = "lambda", feature = "tls", feature = "http3"))]
#[test]
fn the_drivers_these_tests_name_are_the_builtins() {
    assert_eq!(crate::Drivers::builtin().names(), DRIVERS);
}

/// Parses `flags` as the bench's command line, with only `env` set.
fn parse_with(flags: &[&str], env: &[(&str, &str)]) -> Result<RunPlan, ArgsError> {
    parse_in(&catalog(), flags, env)
}

fn parse_in(
    catalog: &Catalog<'_>,
    flags: &[&str],
    env: &[(&str, &str)],
) -> Result<RunPlan, ArgsError> {
    let argv = std::iter::once("latency").chain(flags.iter().copied());
    super::parse(
        argv,
        |key| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        },
        catalog,
    )
}

fn parse(flags: &[&str]) -> RunPlan {
    parse_with(flags, &[]).unwrap_or_else(|e| panic!("{flags:?} was refused:\n{e}"))
}

/// The message of a refusal the bench checks itself (after clap accepted
/// the command line), asserting it exits 2.
fn refused_with(flags: &[&str], env: &[(&str, &str)]) -> String {
    match parse_with(flags, env) {
        Err(error @ ArgsError::Usage(_)) => {
            assert_eq!(error.exit_code(), 2, "{flags:?}: {error}");
            error.to_string()
        }
        Err(ArgsError::Clap(e)) => {
            panic!("{flags:?}: expected the bench's own refusal, got clap's:\n{e}")
        }
        Ok(plan) => panic!("{flags:?} was accepted as {plan:#?}"),
    }
}

fn refused(flags: &[&str]) -> String {
    refused_with(flags, &[])
}

/// The message of a refusal by clap (a flag or value it cannot parse),
/// asserting it exits 2 like every other refusal.
fn refused_by_clap(flags: &[&str]) -> String {
    match parse_with(flags, &[]) {
        Err(error @ ArgsError::Clap(_)) => {
            assert_eq!(error.exit_code(), 2, "{flags:?}: {error}");
            error.to_string()
        }
        Err(error) => panic!("{flags:?}: expected clap's refusal, got: {error}"),
        Ok(plan) => panic!("{flags:?} was accepted as {plan:#?}"),
    }
}

fn assert_says(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "expected `{part}` in: {message}");
    }
}

/// An empty directory of this test's own under the system's temporary
/// directory, to serve as `--out`.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("crossdrive-bench-args-{}", std::process::id()))
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("baselines")).expect("a scratch directory");
    dir
}

fn a_report() -> BenchReport {
    BenchReport {
        schema: SCHEMA.to_owned(),
        machine: Machine {
            os: "linux".to_owned(),
            cpus: 2,
            cpu_model: "test".to_owned(),
        },
        git: "0123abc".to_owned(),
        started: "2026-11-22T10:00:00Z".to_owned(),
        topology: "same-thread".to_owned(),
        results: Vec::new(),
        load: Vec::new(),
        unmeasured: Vec::new(),
        failed: Vec::new(),
    }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

// Good command lines.

#[test]
fn quick_with_two_drivers_and_one_scenario_plans_those_cells_at_quick_samples() {
    let plan = parse(&[
        "--quick",
        "--driver",
        "http1,direct",
        "--scenario",
        "simple_get",
    ]);
    assert_eq!(plan.drivers, ["http1", "direct"]);
    assert_eq!(plan.scenarios, ["simple_get"]);
    assert_eq!(
        plan.mode,
        Mode::Latency {
            per_cell: Plan {
                warmup: 100,
                samples: 400,
                budget: Duration::from_millis(25),
            },
            repeat_noisy: false,
        }
    );
    assert_eq!(plan.baseline, None);
    assert_eq!(plan.slow, None);
    assert_eq!(plan.formats, [], "no extra format unless asked");
}

#[test]
fn format_bmf_asks_for_the_bencher_file_once_however_often_it_is_named() {
    assert_eq!(parse(&["--format", "bmf"]).formats, [Format::Bmf]);
    assert_eq!(
        parse(&["--format", "bmf,bmf", "--format", "bmf"]).formats,
        [Format::Bmf]
    );
    let plan = parse(&["--concurrency", "1,16", "--format", "bmf"]);
    assert_eq!(plan.formats, [Format::Bmf], "load rows are tracked too");
}

#[test]
fn a_driver_is_chosen_by_its_identifier_as_well_as_its_name() {
    let plan = parse(&["--quick", "--driver", "lambda_v1,http1"]);
    assert_eq!(plan.drivers, ["lambda-v1", "http1"]);
}

#[test]
fn no_flags_plan_every_driver_and_scenario_at_full_samples_under_cargo_target_dir() {
    // `cargo bench` passes --bench; it changes nothing.
    let plan = parse_with(&["--bench"], &[("CARGO_TARGET_DIR", "/tmp/elsewhere")])
        .expect("the default run is valid");
    assert_eq!(plan.drivers, DRIVERS);
    assert_eq!(plan.scenarios, SCENARIOS);
    assert_eq!(
        plan.mode,
        Mode::Latency {
            per_cell: Plan {
                warmup: 1_000,
                samples: 8_000,
                budget: Duration::from_millis(200),
            },
            repeat_noisy: true,
        }
    );
    assert_eq!(plan.topology, Topology::SameThread);
    assert_eq!(plan.out, Path::new("/tmp/elsewhere/crossdrive"));
    assert_eq!(plan.threshold, 10.0);
    assert!(!plan.raw && plan.slas.is_empty() && plan.save_baseline.is_none());
}

#[test]
fn samples_duration_and_topology_given_replace_the_defaults() {
    let plan = parse(&[
        "--samples",
        "50",
        "--duration",
        "1.5s",
        "--topology",
        "cross-thread",
        "--raw",
        "--out",
        "somewhere",
    ]);
    let Mode::Latency { per_cell, .. } = plan.mode else {
        panic!("expected the latency tables, got {:?}", plan.mode);
    };
    assert_eq!(per_cell.samples, 50);
    assert_eq!(per_cell.budget, Duration::from_millis(1_500));
    assert_eq!(plan.topology, Topology::CrossThread);
    assert!(plan.raw);
    assert_eq!(plan.out, Path::new("somewhere"));
}

#[test]
fn concurrency_switches_to_load_mode_on_simple_get() {
    let plan = parse(&["--quick", "--concurrency", "1,16"]);
    assert_eq!(plan.scenarios, ["simple_get"]);
    assert_eq!(
        plan.mode,
        Mode::Load {
            concurrency: vec![1, 16],
            requests: 2_000,
            limit: Duration::from_secs(2),
        }
    );
}

#[test]
fn load_mode_defaults_to_cross_thread_to_measure_capacity_and_allows_same_thread() {
    let plan = parse(&["--concurrency", "4"]);
    assert_eq!(plan.topology, Topology::CrossThread);
    let plan = parse(&["--concurrency", "4", "--topology", "same-thread"]);
    assert_eq!(plan.topology, Topology::SameThread);
}

#[test]
fn the_suite_topology_is_accepted() {
    assert_eq!(parse(&["--topology", "suite"]).topology, Topology::Suite);
}

#[test]
fn a_bench_of_its_own_offers_its_own_names_and_defaults() {
    let catalog = Catalog {
        drivers: vec!["direct", "mine"],
        scenarios: vec!["list_items", "create_item", "huge_upload"],
        default_scenarios: vec!["list_items", "create_item"],
        command: "cargo bench --bench api --".to_owned(),
    };
    let plan = parse_in(&catalog, &[], &[]).expect("the default run is valid");
    assert_eq!(plan.drivers, ["direct", "mine"]);
    assert_eq!(plan.scenarios, ["list_items", "create_item"]);
    let plan = parse_in(&catalog, &["--scenario", "huge_upload"], &[]).expect("valid");
    assert_eq!(plan.scenarios, ["huge_upload"]);
    let plan = parse_in(&catalog, &["--concurrency", "8"], &[]).expect("valid");
    assert_eq!(plan.scenarios, ["list_items"]);
    let Err(refusal) = parse_in(&catalog, &["--scenario", "simple_get"], &[]) else {
        panic!("simple_get is not a scenario of this bench");
    };
    assert_says(
        &refusal.to_string(),
        &[
            "`simple_get` is not a scenario",
            "list_items, create_item, huge_upload",
        ],
    );
    let Err(help) = parse_in(&catalog, &["--help"], &[]) else {
        panic!("--help should stop before the run");
    };
    assert_says(&help.to_string(), &["cargo bench --bench api --"]);
}

#[test]
fn sla_rules_are_parsed_from_commas_and_repeated_flags() {
    let plan = parse(&["--sla", "p95<800us,simple_get:p99<2ms", "--sla", "max<1s"]);
    let rules: Vec<String> = plan.slas.iter().map(ToString::to_string).collect();
    assert_eq!(rules, ["p95<800us", "simple_get:p99<2ms", "max<1s"]);
    let plan = parse(&[
        "--driver",
        "direct",
        "--scenario",
        "delete",
        "--sla",
        "delete@direct:p50<1ms",
    ]);
    assert_eq!(plan.slas.len(), 1);
}

#[test]
fn a_saved_baseline_is_read_before_the_run() {
    let out = scratch("a_saved_baseline_is_read_before_the_run");
    std::fs::write(out.join("baselines/before.json"), a_report().to_json()).expect("write");
    let plan = parse(&[
        "--out",
        &path_text(&out),
        "--baseline",
        "before",
        "--save-baseline",
        "after",
        "--threshold",
        "5",
    ]);
    let baseline = plan.baseline.expect("the baseline was read");
    assert_eq!(baseline.name, "before");
    assert_eq!(baseline.report, a_report());
    assert_eq!(plan.save_baseline.as_deref(), Some("after"));
    assert_eq!(plan.threshold, 5.0);
}

#[test]
fn the_slow_toggle_names_a_scenario_and_a_delay() {
    let plan = parse_with(&[], &[(SLOW_ENV, "simple_get:500us")]).expect("a valid toggle");
    assert_eq!(
        plan.slow,
        Some(Slow {
            scenario: "simple_get".to_owned(),
            delay: Duration::from_micros(500),
        })
    );
}

#[test]
fn help_is_not_a_refusal() {
    let Err(help @ ArgsError::Clap(_)) = parse_with(&["--help"], &[]) else {
        panic!("--help should stop before the run");
    };
    assert_eq!(help.exit_code(), 0);
    assert_says(
        &help.to_string(),
        &["--save-baseline <NAME>", "--concurrency"],
    );
}

// Bad flags: each refused with exit 2, naming the flag and the value, saying what to write.

#[test]
fn zero_samples_are_refused_saying_to_give_at_least_one() {
    let message = refused(&["--samples", "0"]);
    assert_says(
        &message,
        &["--samples 0", "at least 1", "such as --samples 8000"],
    );
    // Load mode does not use --samples, but 0 is still a mistake worth saying.
    let message = refused(&["--concurrency", "4", "--samples", "0"]);
    assert_says(&message, &["--samples 0", "at least 1"]);
}

#[test]
fn a_concurrency_level_of_zero_is_refused_naming_the_levels_given() {
    let message = refused(&["--concurrency", "0"]);
    assert_says(
        &message,
        &[
            "--concurrency 0",
            "at least 1",
            "as in --concurrency 1,16,64",
        ],
    );
    let message = refused(&["--concurrency", "1,0,16"]);
    assert_says(&message, &["--concurrency 1,0,16", "at least 1"]);
}

#[test]
fn zero_requests_are_refused_saying_to_give_at_least_one() {
    let message = refused(&["--concurrency", "4", "--requests", "0"]);
    assert_says(
        &message,
        &["--requests 0", "at least 1", "such as --requests 20000"],
    );
}

#[test]
fn a_duration_that_is_not_a_number_with_a_unit_is_refused_naming_the_flag() {
    for (value, says) in [
        ("fast", "is not a duration; write 250us, 300ms or 2s"),
        ("5", "needs a unit: us, ms or s"),
        ("5 ms", "needs a unit: us, ms or s"),
        ("-5ms", "is not a duration; write 250us, 300ms or 2s"),
        ("99999999999999999999999s", "is not a usable duration"),
    ] {
        // `=` so clap takes `-5ms` as the value rather than as a flag.
        let message = refused_by_clap(&[&format!("--duration={value}")]);
        assert_says(&message, &["--duration", &format!("'{value}'"), says]);
    }
}

#[test]
fn a_zero_duration_is_refused_saying_to_give_a_budget() {
    for value in ["0ms", "0us", "0.0s"] {
        let message = refused_by_clap(&["--duration", value]);
        assert_says(
            &message,
            &[
                "--duration",
                &format!("'{value}'"),
                "leaves no time to measure",
                "such as 200ms",
            ],
        );
    }
}

#[test]
fn an_unknown_driver_is_refused_listing_the_drivers() {
    let message = refused(&["--driver", "http1,htp2"]);
    assert_says(
        &message,
        &[
            "--driver `htp2` is not a driver",
            "choose from: direct,",
            "http2",
        ],
    );
    let message = refused(&["--driver", "http1,"]);
    assert_says(&message, &["--driver `` is not a driver", "choose from:"]);
}

#[test]
fn an_unknown_scenario_is_refused_listing_the_scenarios() {
    let message = refused(&["--scenario", "simple-get"]);
    assert_says(
        &message,
        &[
            "--scenario `simple-get` is not a scenario",
            "choose from: simple_get,",
        ],
    );
}

#[test]
fn an_unknown_topology_is_refused_naming_both() {
    let message = refused_by_clap(&["--topology", "diagonal"]);
    assert_says(
        &message,
        &[
            "--topology",
            "'diagonal'",
            "use same-thread, cross-thread or suite",
        ],
    );
}

#[test]
fn an_unknown_format_is_refused_listing_the_formats() {
    let message = refused_by_clap(&["--format", "junit"]);
    assert_says(&message, &["--format", "'junit'", "[possible values: bmf]"]);
}

#[test]
fn an_unknown_flag_is_refused_pointing_to_help() {
    let message = refused_by_clap(&["--sample", "10"]);
    assert_says(
        &message,
        &[
            "'--sample'",
            "Usage: cargo bench --bench latency -- [OPTIONS]",
            "--help",
        ],
    );
}

#[test]
fn a_baseline_name_that_is_not_a_plain_file_name_is_refused_for_both_flags() {
    for flag in ["--save-baseline", "--baseline"] {
        for (name, why) in [
            ("", "it is empty"),
            ("../x", "it starts with `.`"),
            ("a/b", "`/` is not allowed"),
            (".hidden", "it starts with `.`"),
            ("my base", "` ` is not allowed"),
            ("C:\\x", "`:` is not allowed"),
        ] {
            let message = refused(&[flag, name]);
            assert_says(
                &message,
                &[
                    &format!("{flag} `{name}` cannot name a baseline: {why}"),
                    "use letters, digits",
                    &format!("as in {flag} before"),
                ],
            );
        }
    }
}

#[test]
fn a_baseline_name_climbing_out_of_the_baselines_directory_is_refused_even_if_the_file_exists() {
    let out = scratch("a_baseline_name_climbing_out");
    // <out>/baselines/../x.json is <out>/x.json: a valid report sits there.
    std::fs::write(out.join("x.json"), a_report().to_json()).expect("write");
    let message = refused(&["--out", &path_text(&out), "--baseline", "../x"]);
    assert_says(&message, &["--baseline `../x` cannot name a baseline"]);
}

#[test]
fn a_baseline_of_another_topology_is_refused_saying_to_compare_like_with_like() {
    let out = scratch("a_baseline_of_another_topology_is_refused");
    std::fs::write(out.join("baselines/before.json"), a_report().to_json()).expect("write");
    let message = refused(&[
        "--out",
        &path_text(&out),
        "--baseline",
        "before",
        "--topology",
        "suite",
    ]);
    assert_says(
        &message,
        &[
            "--baseline `before` was measured with --topology same-thread",
            "this run with --topology suite",
            "pass --topology same-thread",
        ],
    );
}

#[test]
fn a_missing_baseline_file_is_refused_saying_how_to_save_one() {
    let out = scratch("a_missing_baseline_file");
    let message = refused(&["--out", &path_text(&out), "--baseline", "before"]);
    let path = out.join("baselines").join("before.json");
    assert_says(
        &message,
        &[
            "--baseline `before`",
            &format!("cannot read {}", path.display()),
            "save one first with --save-baseline before",
            "or pass the --out it was saved under",
        ],
    );
}

#[test]
fn a_baseline_file_that_is_not_json_is_refused_saying_to_save_it_again() {
    let out = scratch("a_baseline_file_that_is_not_json");
    let path = out.join("baselines").join("corrupt.json");
    std::fs::write(&path, "{\"schema\": \"crossdrive.bench.v1\", \"resu").expect("write");
    let message = refused(&["--out", &path_text(&out), "--baseline", "corrupt"]);
    assert_says(
        &message,
        &[
            "--baseline `corrupt`",
            &format!("{} is not a usable baseline", path.display()),
            "bench report is not JSON",
            "save it again with --save-baseline corrupt",
        ],
    );
}

#[test]
fn a_baseline_file_of_another_schema_is_refused_saying_to_save_it_again() {
    let out = scratch("a_baseline_file_of_another_schema");
    let mut other = serde_json::to_value(a_report()).expect("a report is JSON");
    other["schema"] = "crossdrive.bench.v2".into();
    let path = out.join("baselines").join("old.json");
    std::fs::write(&path, other.to_string()).expect("write");
    let message = refused(&["--out", &path_text(&out), "--baseline", "old"]);
    assert_says(
        &message,
        &[
            "--baseline `old`",
            &format!("{} is not a usable baseline", path.display()),
            "does not declare schema crossdrive.bench.v1",
            "save it again with --save-baseline old",
        ],
    );
}

#[test]
fn a_bad_sla_rule_is_refused_naming_the_flag_and_saying_how_to_write_one() {
    for (rule, says) in [
        ("p95<800", "the limit needs a unit"),
        ("p95", "has no `<`"),
        ("p42<1ms", "unknown metric `p42`"),
    ] {
        let message = refused(&["--sla", &format!("p50<1ms,{rule}")]);
        assert_says(
            &message,
            &[
                "--sla",
                &format!("`{rule}`"),
                says,
                "write rules like p95<800us",
            ],
        );
    }
}

#[test]
fn an_sla_rule_naming_a_scenario_or_driver_the_run_does_not_measure_is_refused_before_it() {
    let message = refused(&["--sla", "simple_gte:p95<1ms"]);
    assert_says(
        &message,
        &[
            "--sla `simple_gte:p95<1ms` names scenario `simple_gte`",
            "choose from: simple_get,",
        ],
    );
    let message = refused(&["--scenario", "simple_get", "--sla", "delete:p95<1ms"]);
    assert_says(
        &message,
        &[
            "--sla `delete:p95<1ms` names scenario `delete`",
            "choose from: simple_get",
        ],
    );
    let message = refused(&["--driver", "direct", "--sla", "simple_get@http1:p99<2ms"]);
    assert_says(
        &message,
        &[
            "--sla `simple_get@http1:p99<2ms` names driver `http1`",
            "choose from: direct",
        ],
    );
}

#[test]
fn an_sla_rule_in_load_mode_is_refused_as_it_has_no_latency_table_to_gate() {
    let message = refused(&["--concurrency", "4", "--sla", "p95<1ms"]);
    assert_says(
        &message,
        &[
            "--sla `p95<1ms` gates the latency table",
            "run the gate without --concurrency",
        ],
    );
}

#[test]
fn a_threshold_that_is_not_a_positive_percentage_is_refused() {
    for (flag, shown) in [
        ("--threshold=0", "0"),
        ("--threshold=-5", "-5"),
        ("--threshold=NaN", "NaN"),
        ("--threshold=inf", "inf"),
    ] {
        let message = refused(&[flag]);
        assert_says(
            &message,
            &[
                &format!("--threshold {shown}` is not a positive percentage"),
                "such as --threshold 10",
            ],
        );
    }
    let message = refused_by_clap(&["--threshold", "ten"]);
    assert_says(&message, &["--threshold", "'ten'"]);
}

#[test]
fn a_malformed_slow_toggle_is_refused_showing_the_form_to_write() {
    for (value, why) in [
        ("simple_get", "there is no `:`"),
        ("simple_get:fast", "`fast` is not a duration"),
        ("simple_get:200", "`200` needs a unit"),
        (
            "simple_gte:200us",
            "`simple_gte` is not a scenario of this bench; choose from: simple_get,",
        ),
        ("", "there is no `:`"),
    ] {
        let message = refused_with(&[], &[(SLOW_ENV, value)]);
        assert_says(
            &message,
            &[
                &format!("CROSSDRIVE_BENCH_SLOW=`{value}` is not `<scenario>:<duration>`"),
                "such as simple_get:200us",
                why,
            ],
        );
    }
}

#[test]
fn stages_is_off_unless_asked_for_and_refused_in_load_mode() {
    assert!(!parse(&[]).stages);
    assert!(parse(&["--stages"]).stages);
    let message = refused(&["--stages", "--concurrency", "16"]);
    assert_says(
        &message,
        &["--stages", "--concurrency", "without --concurrency"],
    );
}
