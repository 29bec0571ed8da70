//! The bench output contract: the JSON fields crossdrive.bench.v1 promises, the
//! Markdown rendered from a fixed report (snapshot), the same report in
//! Bencher Metric Format (checked against Bencher's documented shape),
//! custom floors' descriptions, baseline comparison and SLA gates.

use crossdrive::bench::bmf;
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

// Bencher Metric Format (`--format bmf`).

#[test]
fn the_fixed_report_in_bencher_metric_format_matches_its_snapshot_and_bencher_accepts_it() {
    let json = bmf::to_json(&fixed()).expect("the fixed report renders as BMF");
    // The documented shape (https://bencher.dev/docs/reference/bencher-metric-format/).
    assert_eq!(bmf::check(&json), Ok(()));
    insta::assert_snapshot!("bench_bmf", json);
}

#[test]
fn every_cell_of_the_fixed_report_is_tracked_with_its_floor_and_each_load_row_with_its_throughput()
{
    let report = fixed();
    let value: serde_json::Value = serde_json::from_str(&bmf::to_json(&report).unwrap()).unwrap();
    let benchmarks = value.as_object().expect("an object of benchmarks");
    assert_eq!(
        benchmarks.len(),
        2 * report.results.len() + report.load.len(),
        "{value:#}"
    );
    for row in &report.results {
        let ignore = if row.noisy { "_bencher_ignore" } else { "" };
        let name = format!("{}/{}/same-thread", row.scenario, row.driver);
        let cell = &value[format!("{name}{ignore}")];
        let number = |v: &serde_json::Value| v.as_f64().expect("a number");
        // Nanoseconds to a tenth, the ratio to four places.
        let near = |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance;
        let p50_ns = row.p50_us * 1000.0;
        assert!(
            near(number(&cell["latency"]["value"]), p50_ns, 0.05),
            "{name}"
        );
        let latency = &cell["latency"];
        let band = (number(&latency["upper_value"]) - number(&latency["lower_value"])) / p50_ns;
        assert!(near(band * 100.0, row.spread_pct, 0.05), "{name}: {band}");
        assert!(
            near(number(&cell["floor-ratio"]["value"]), row.ratio(), 5e-5),
            "{name}"
        );
        assert_eq!(cell["allocations"]["value"], row.allocs_per_op.unwrap());
        let floor = &value[format!("{name}/floor:{}{ignore}", row.floor)];
        let floor_ns = row.floor_p50_us * 1000.0;
        assert!(
            near(number(&floor["latency"]["value"]), floor_ns, 0.05),
            "{name}"
        );
    }
    let load = &value["simple_get/http1/same-thread/concurrency-16"];
    assert_eq!(load["throughput"]["value"], report.load[0].throughput_rps);
}

#[test]
fn a_bmf_document_of_the_wrong_shape_is_refused() {
    let json = bmf::to_json(&fixed()).unwrap();
    let good: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cell = "simple_get/http1/same-thread";
    let wrong = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut document = good.clone();
        change(&mut document);
        bmf::check(&document.to_string()).expect_err(&document.to_string())
    };
    type Change<'a> = &'a dyn Fn(&mut serde_json::Value);
    let cases: [(Change<'_>, &str); 6] = [
        (
            &|d| d[cell]["latency"]["upper_value"] = 1.0.into(),
            "is below `value`",
        ),
        (
            &|d| d[cell]["latency"]["lower_value"] = 1e12.into(),
            "is above `value`",
        ),
        (
            &|d| d[cell]["latency"]["value"] = serde_json::Value::Null,
            "`value` is not a number",
        ),
        (
            &|d| {
                let metric = d[cell]["latency"].clone();
                d[cell]["Latency P99"] = metric;
            },
            "`Latency P99` is not a slug",
        ),
        (
            &|d| d[cell] = serde_json::json!([1, 2]),
            "must be an object of measures",
        ),
        (
            &|d| *d = serde_json::json!([{ cell: {} }]),
            "must be an object of benchmark names",
        ),
    ];
    for (change, expected) in cases {
        let error = wrong(change);
        assert!(error.contains(expected), "{error}");
    }
}

// Custom floors.

#[test]
fn a_custom_floor_is_described_in_the_legend_in_the_users_words_and_kept_in_the_json() {
    let mut report = fixed();
    let row = &mut report.results[1];
    row.driver = "duplex".into();
    row.floor = "duplex-unguarded".into();
    row.floor_about = Some("the same pipe without the timeout and panic guard".into());
    let markdown = report.to_markdown();
    assert!(
        markdown.contains(
            "- `duplex` (HTTP/1.1): floor `duplex-unguarded`: the same pipe without the timeout \
             and panic guard"
        ),
        "{markdown}"
    );
    let json = report.to_json();
    assert!(json.contains(r#""floor_about": "the same pipe"#), "{json}");
    assert_eq!(BenchReport::from_json(&json).unwrap(), report);
    // A built-in floor's row carries no sentence: the legend knows it by name.
    assert_eq!(json.matches("\"floor_about\"").count(), 1, "{json}");
}

#[test]
fn an_undescribed_custom_floor_says_how_to_describe_it() {
    let mut report = fixed();
    report.results[1].floor = "my-raw".into();
    let markdown = report.to_markdown();
    assert!(
        markdown.contains(
            "floor `my-raw`: the driver's own floor, not described (say what it is with \
             `DriverSpec::floor_about`)"
        ),
        "{markdown}"
    );
}
