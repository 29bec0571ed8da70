//! The bench output contract: the JSON fields crossdrive.bench.v1 promises, the
//! Markdown rendered from a fixed report (snapshot), baseline comparison
//! and SLA gates.

use crossdrive::bench::compare::{Verdict, compare};
use crossdrive::bench::report::BenchReport;
use crossdrive::bench::sla::Sla;

const FIXED: &str = include_str!("data/bench.json");

fn fixed() -> BenchReport {
    BenchReport::from_json(FIXED).expect("the fixture is a valid report")
}

#[test]
fn the_markdown_rendered_from_a_fixed_report_matches_its_snapshot() {
    insta::assert_snapshot!("bench_markdown", fixed().to_markdown());
}

#[test]
fn a_load_only_report_shows_the_load_table_without_empty_latency_tables() {
    let mut report = fixed();
    report.results.clear();
    report.unmeasured.clear();
    let markdown = report.to_markdown();
    assert!(
        markdown.contains("Under load (`--concurrency`)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| simple_get | http1 | 16 |"),
        "{markdown}"
    );
    assert!(!markdown.contains("p50 latency in µs"), "{markdown}");
    assert!(!markdown.contains("| scenario |\n"), "{markdown}");
    assert!(!markdown.contains("Floors ("), "{markdown}");
}

#[test]
fn every_table_says_which_topology_it_measured() {
    let mut report = fixed();
    for row in &mut report.results {
        row.topology = "suite".to_owned();
    }
    let markdown = report.to_markdown();
    let described = "topology suite (each driver reached exactly as a `suite!` test reaches it,";
    assert_eq!(markdown.matches(described).count(), 2, "{markdown}");
    let mut load = fixed();
    load.results.clear();
    load.topology = "same-thread".to_owned();
    assert!(
        load.to_markdown()
            .contains("this is CPU per request, not capacity"),
        "{}",
        load.to_markdown()
    );
}

#[test]
fn the_csv_has_one_row_per_scenario_and_driver() {
    let csv = fixed().to_csv();
    insta::assert_snapshot!("bench_csv", csv);
}

#[test]
fn the_json_carries_every_documented_field_with_its_type() {
    let value: serde_json::Value = serde_json::from_str(&fixed().to_json()).unwrap();
    assert_eq!(value["schema"], "crossdrive.bench.v1");
    for (field, kind) in [
        ("os", "string"),
        ("cpus", "number"),
        ("cpu_model", "string"),
    ] {
        assert_type(&value["machine"][field], kind, &format!("machine.{field}"));
    }
    for (field, kind) in [
        ("git", "string"),
        ("started", "string"),
        ("topology", "string"),
    ] {
        assert_type(&value[field], kind, field);
    }
    let results = value["results"].as_array().expect("results is an array");
    assert!(!results.is_empty());
    for row in results {
        for (field, kind) in [
            ("scenario", "string"),
            ("driver", "string"),
            ("protocol", "string"),
            ("samples", "number"),
            ("p50_us", "number"),
            ("p95_us", "number"),
            ("p99_us", "number"),
            ("mean_us", "number"),
            ("ops_per_sec", "number"),
            ("allocs_per_op", "number"),
            ("bytes_per_op", "number"),
            ("floor", "string"),
            ("floor_p50_us", "number"),
            ("topology", "string"),
        ] {
            assert_type(&row[field], kind, &format!("results[].{field}"));
        }
        let scenario = row["scenario"].as_str().unwrap();
        assert!(
            scenario
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "scenario names are snake_case: {scenario}"
        );
    }
}

fn assert_type(value: &serde_json::Value, kind: &str, field: &str) {
    let ok = match kind {
        "string" => value.is_string(),
        "number" => value.is_number(),
        _ => false,
    };
    assert!(ok, "{field} must be a {kind}, got {value}");
}

#[test]
fn a_report_with_another_schema_is_refused_with_what_to_do() {
    let other = FIXED.replace("crossdrive.bench.v1", "crossdrive.bench.v0");
    let error = BenchReport::from_json(&other).unwrap_err();
    assert!(
        error.contains("was it written by `cargo xtask bench`"),
        "{error}"
    );
    let broken = BenchReport::from_json("{\"schema\": \"crossdrive.bench.v1\"}").unwrap_err();
    assert!(broken.contains("regenerate it"), "{broken}");
}

#[test]
fn a_slower_cell_beyond_threshold_and_noise_is_a_regression_naming_the_cell() {
    let base = fixed();
    let mut slow = fixed();
    slow.results[0].p50_us *= 1.5;
    let comparison = compare("main", &base, &slow, 10.0);
    let regressed = comparison.regressions();
    assert_eq!(regressed.len(), 1);
    assert_eq!(
        (regressed[0].scenario.as_str(), regressed[0].driver.as_str()),
        ("simple_get", "direct")
    );
    assert!(
        comparison
            .to_markdown()
            .contains("| simple_get | direct | 0.66 | 0.99 | +50.0% |")
    );
}

#[test]
fn an_unchanged_rerun_is_not_a_regression() {
    let comparison = compare("main", &fixed(), &fixed(), 10.0);
    assert!(
        comparison
            .changes
            .iter()
            .all(|c| c.verdict == Verdict::Unchanged)
    );
}

#[test]
fn a_change_the_floor_shares_is_machine_drift_not_a_regression() {
    let base = fixed();
    let mut drifted = fixed();
    drifted.results[0].p50_us *= 1.4;
    drifted.results[0].floor_p50_us *= 1.4;
    let change = &compare("main", &base, &drifted, 10.0).changes[0];
    assert_eq!(change.verdict, Verdict::WithinNoise, "{change:?}");
}

#[test]
fn a_change_smaller_than_the_cells_spread_is_within_noise() {
    let base = fixed();
    let mut noisy = fixed();
    noisy.results[3].p50_us *= 1.25; // that cell's spread is 31%
    let change = &compare("main", &base, &noisy, 10.0).changes[3];
    assert_eq!(change.verdict, Verdict::WithinNoise, "{change:?}");
}

#[test]
fn sla_rules_name_the_cells_they_break() {
    let report = fixed();
    let all = Sla::parse("p95<50us").unwrap();
    let broken = all.violations(&report).unwrap();
    assert_eq!(
        broken,
        vec!["crud_cycle on http1: P95 93.0µs breaks `p95<50us`".to_owned()]
    );
    let scoped = Sla::parse("simple_get@http1:p50<10us").unwrap();
    assert_eq!(scoped.violations(&report).unwrap().len(), 1);
    assert!(
        Sla::parse("simple_get:p99<1s")
            .unwrap()
            .violations(&report)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn sla_rules_with_bad_input_say_what_to_write() {
    for (rule, expected) in [
        ("p95", "has no `<`"),
        ("p42<1ms", "unknown metric `p42`"),
        ("p95<fast", "is not a number"),
        ("p95<800", "needs a unit"),
        ("p95<800 hours", "unknown unit"),
    ] {
        let error = Sla::parse(rule).unwrap_err();
        assert!(error.contains(expected), "{rule}: {error}");
        assert!(
            error.contains("write rules like p95<800us"),
            "{rule}: {error}"
        );
    }
    let typo = Sla::parse("simple_gte:p95<1ms")
        .unwrap()
        .violations(&fixed())
        .unwrap_err();
    assert!(typo.contains("matches no measured cell"), "{typo}");
}
