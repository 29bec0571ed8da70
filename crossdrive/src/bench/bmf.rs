//! `bench.bmf.json`: a run in Bencher Metric Format, so `bencher run` (or
//! any tracker that reads BMF) keeps each cell's history across CI runs and
//! machines.
//!
//! The format is Bencher's, documented at
//! <https://bencher.dev/docs/reference/bencher-metric-format/> (JSON schema
//! <https://bencher.dev/bmf.json>): one object whose keys are benchmark
//! names, each an object whose keys are measures, each a metric
//! `{ "value": number, "lower_value"?: number, "upper_value"?: number }`.
//! Benchmark names are any non-empty string of at most 1024 characters; a
//! measure is named by its slug (lowercase letters, digits and single
//! inner `-`, at most 64 characters), and a slug Bencher does not know yet
//! becomes a new measure of the project
//! (<https://bencher.dev/docs/how-to/track-custom-benchmarks/>).
//!
//! # Benchmarks
//!
//! A latency cell is two benchmarks, so history tracks the driver and the
//! least its transport could cost side by side:
//!
//! - `<scenario>/<driver>/<topology>`, such as `simple_get/http1/same-thread`:
//!   the driver;
//! - `<scenario>/<driver>/<topology>/floor:<floor>`, such as
//!   `simple_get/http1/same-thread/floor:raw-hyper-http1`: its floor, measured
//!   beside it in the same rounds (named after the driver too, since several
//!   drivers may share a floor's name and each measured its own).
//!
//! The topology is always in the name: a `suite` figure costs several times
//! a `same-thread` one, and one history holding both would read the
//! placement as a regression. A load-mode row (`--concurrency`) is
//! `<scenario>/<driver>/<topology>/concurrency-<n>`. Failed and unmeasured
//! cells have no figures and no benchmark. A cell the bench marked noisy
//! gets Bencher's documented `_bencher_ignore` suffix
//! (<https://bencher.dev/docs/explanation/thresholds/>): its metrics are
//! still stored under the plain name, but no threshold alerts on a figure
//! the bench itself says not to act on.
//!
//! # Measures
//!
//! | slug | what | unit |
//! |---|---|---|
//! | `latency` | p50, bounded by the cell's round-to-round spread of p50 (driver only) | ns (Bencher's built-in Latency) |
//! | `latency-p99` | p99 | ns |
//! | `latency-first-byte` | p50 time to first byte, streamed scenarios | ns |
//! | `allocations` | allocations per request, process-wide | count |
//! | `allocated-bytes` | bytes allocated per request, process-wide | bytes |
//! | `floor-ratio` | driver p50 / floor p50 (driver only) | × |
//! | `throughput` | requests per second (load rows) | ops/s (Bencher's built-in Throughput) |
//!
//! The `latency` bounds: the cell takes four rounds and `spread_pct` is
//! `(max - min) / median` of their p50s, so `lower_value` and `upper_value`
//! are the p50 less and plus half that spread: a band as wide as the rounds
//! were apart. A figure the run did not count (allocations without the
//! counting allocator, a ratio without a floor) is left out, never written
//! as a number it is not.
//!
//! [`to_json`] checks its own document with [`check`] before handing it
//! back, so the bench never writes a file Bencher would refuse.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::report::{BenchReport, BenchResult, LoadResult};

/// The file the bench writes under its output directory with
/// `--format bmf`.
///
/// ```
/// assert_eq!(crossdrive::bench::bmf::FILE, "bench.bmf.json");
/// ```
pub const FILE: &str = "bench.bmf.json";

/// p50 latency, ns: Bencher's built-in Latency measure.
pub const LATENCY: &str = "latency";
/// p99 latency, ns.
pub const LATENCY_P99: &str = "latency-p99";
/// p50 time to first byte, ns (streamed scenarios).
pub const LATENCY_FIRST_BYTE: &str = "latency-first-byte";
/// Allocations per request.
pub const ALLOCATIONS: &str = "allocations";
/// Bytes allocated per request.
pub const ALLOCATED_BYTES: &str = "allocated-bytes";
/// Driver p50 over floor p50.
pub const FLOOR_RATIO: &str = "floor-ratio";
/// Requests per second under load: Bencher's built-in Throughput measure.
pub const THROUGHPUT: &str = "throughput";

/// The suffix Bencher strips from a benchmark's name to store its metrics
/// without checking them against a threshold.
const IGNORE_SUFFIX: &str = "_bencher_ignore";
/// Bencher's longest benchmark name, in bytes.
const MAX_BENCHMARK_NAME: usize = 1024;
/// Bencher's longest slug, in bytes.
const MAX_SLUG: usize = 64;

/// One metric: a value and the bounds the run measured around it.
#[derive(Debug, Clone, Copy)]
struct Metric {
    value: f64,
    bounds: Option<(f64, f64)>,
}

impl Metric {
    fn plain(value: f64) -> Self {
        Self {
            value,
            bounds: None,
        }
    }

    fn to_value(self) -> Value {
        let mut metric = Map::new();
        metric.insert("value".into(), Value::from(self.value));
        if let Some((lower, upper)) = self.bounds {
            metric.insert("lower_value".into(), Value::from(lower));
            metric.insert("upper_value".into(), Value::from(upper));
        }
        Value::Object(metric)
    }
}

/// A benchmark's measures, by slug.
type Measures = BTreeMap<&'static str, Metric>;

/// The report as Bencher Metric Format JSON (pretty-printed), checked
/// with [`check`]; an error names the benchmark that could not be written
/// and why.
///
/// ```
/// # use crossdrive::bench::report::*;
/// # use crossdrive::bench::Stats;
/// let stats = |p50: f64| Stats { samples: 8000, p50_us: p50, p95_us: p50 * 1.3, p99_us: p50 * 1.8,
///     max_us: p50 * 9.0, mean_us: p50, ops_per_sec: 1e6 / p50, allocs_per_op: Some(26.0),
///     bytes_per_op: Some(33_280.0) };
/// let mut row = BenchResult::new("simple_get", "http1", "HTTP/1.1", &stats(20.0),
///                                "raw-hyper-http1", &stats(16.0));
/// row.topology = "same-thread".into();
/// row.spread_pct = 10.0;
/// let mut report = BenchReport::starting_now("abc123", "same-thread");
/// report.results.push(row);
///
/// let json = crossdrive::bench::bmf::to_json(&report).unwrap();
/// let bmf: serde_json::Value = serde_json::from_str(&json).unwrap();
/// let cell = &bmf["simple_get/http1/same-thread"];
/// assert_eq!(cell["latency"]["value"], 20_000.0); // ns
/// assert_eq!(cell["latency"]["lower_value"], 19_000.0); // half the 10% spread below
/// assert_eq!(cell["latency"]["upper_value"], 21_000.0);
/// assert_eq!(cell["floor-ratio"]["value"], 1.25);
/// assert_eq!(cell["allocations"]["value"], 26.0);
/// let floor = &bmf["simple_get/http1/same-thread/floor:raw-hyper-http1"];
/// assert_eq!(floor["latency"]["value"], 16_000.0);
/// ```
pub fn to_json(report: &BenchReport) -> Result<String, String> {
    let mut document = Map::new();
    let mut add = |name: String, measures: Measures| -> Result<(), String> {
        if measures.is_empty() {
            return Ok(());
        }
        let metrics: Map<String, Value> = measures
            .into_iter()
            .map(|(slug, metric)| (slug.to_owned(), metric.to_value()))
            .collect();
        if document
            .insert(name.clone(), Value::Object(metrics))
            .is_some()
        {
            return Err(format!(
                "two rows of the report are the same benchmark `{name}`; a report holds one row \
                 per scenario, driver and topology, so regenerate it with `cargo xtask bench`"
            ));
        }
        Ok(())
    };
    for row in &report.results {
        let topology = if row.topology.is_empty() {
            report.topology.as_str()
        } else {
            row.topology.as_str()
        };
        let name = format!("{}/{}/{topology}", row.scenario, row.driver);
        let floor = format!("{name}/floor:{}", row.floor);
        let ignore = if row.noisy { IGNORE_SUFFIX } else { "" };
        add(format!("{name}{ignore}"), driver_measures(row))?;
        add(format!("{floor}{ignore}"), floor_measures(row))?;
    }
    for load in &report.load {
        let name = format!(
            "{}/{}/{}/concurrency-{}",
            load.scenario, load.driver, report.topology, load.concurrency
        );
        add(name, load_measures(load))?;
    }
    let json = serde_json::to_string_pretty(&Value::Object(document))
        .map_err(|e| format!("cannot write the Bencher Metric Format document ({e})"))?;
    check(&json).map_err(|e| format!("the Bencher Metric Format document is wrong: {e}"))?;
    Ok(json)
}

/// Inserts `value` under `slug` when the run measured it: a finite number.
fn put(measures: &mut Measures, slug: &'static str, metric: Metric) {
    let finite = metric.value.is_finite()
        && metric
            .bounds
            .is_none_or(|(lower, upper)| lower.is_finite() && upper.is_finite());
    if finite {
        measures.insert(slug, metric);
    }
}

/// Microseconds as nanoseconds, to a tenth: the histograms record whole
/// nanoseconds, and the product would otherwise carry float noise
/// (`6161.049999999999`) into every tracker's history.
fn ns(us: f64) -> f64 {
    (us * 10_000.0).round() / 10.0
}

fn driver_measures(row: &BenchResult) -> Measures {
    let mut measures = Measures::new();
    let half = row.spread_pct.max(0.0) / 200.0;
    put(
        &mut measures,
        LATENCY,
        Metric {
            value: ns(row.p50_us),
            bounds: Some((
                ns((row.p50_us * (1.0 - half)).max(0.0)),
                ns(row.p50_us * (1.0 + half)),
            )),
        },
    );
    put(&mut measures, LATENCY_P99, Metric::plain(ns(row.p99_us)));
    if let Some(first) = &row.first_byte {
        put(
            &mut measures,
            LATENCY_FIRST_BYTE,
            Metric::plain(ns(first.p50_us)),
        );
    }
    if let Some(allocs) = row.allocs_per_op {
        put(&mut measures, ALLOCATIONS, Metric::plain(allocs));
    }
    if let Some(bytes) = row.bytes_per_op {
        put(&mut measures, ALLOCATED_BYTES, Metric::plain(bytes));
    }
    // NaN without a floor: `put` leaves it out. Four places are a
    // hundredth of a percent, well inside any cell's noise.
    let ratio = (row.ratio() * 10_000.0).round() / 10_000.0;
    put(&mut measures, FLOOR_RATIO, Metric::plain(ratio));
    measures
}

fn floor_measures(row: &BenchResult) -> Measures {
    let mut measures = Measures::new();
    if row.floor_p50_us > 0.0 {
        put(&mut measures, LATENCY, Metric::plain(ns(row.floor_p50_us)));
    }
    // Reports from before rows carried it read 0: not measured.
    if row.floor_p99_us > 0.0 {
        put(
            &mut measures,
            LATENCY_P99,
            Metric::plain(ns(row.floor_p99_us)),
        );
    }
    if let Some(first) = &row.floor_first_byte {
        put(
            &mut measures,
            LATENCY_FIRST_BYTE,
            Metric::plain(ns(first.p50_us)),
        );
    }
    measures
}

fn load_measures(load: &LoadResult) -> Measures {
    let mut measures = Measures::new();
    put(
        &mut measures,
        THROUGHPUT,
        Metric::plain(load.throughput_rps),
    );
    put(&mut measures, LATENCY, Metric::plain(ns(load.p50_us)));
    put(&mut measures, LATENCY_P99, Metric::plain(ns(load.p99_us)));
    measures
}

/// Checks `json` against Bencher Metric Format as Bencher documents it
/// (<https://bencher.dev/docs/reference/bencher-metric-format/>): an
/// object of benchmark names (non-empty, at most 1024 bytes) to objects of
/// measure slugs (lowercase ASCII letters and digits joined by single `-`,
/// at most 64 bytes) to metrics with a numeric `value` and optional
/// numeric `lower_value` and `upper_value`. Stricter than the schema in
/// two ways, both of which a tracker reading the bounds relies on: a
/// metric has no other keys, and its bounds hold its value
/// (`lower_value <= value <= upper_value`).
///
/// ```
/// use crossdrive::bench::bmf::check;
/// assert!(check(r#"{"simple_get/http1/same-thread": {"latency": {"value": 20000.0}}}"#).is_ok());
/// let wrong = check(r#"{"simple_get": {"latency": {"value": "fast"}}}"#).unwrap_err();
/// assert!(wrong.contains("`simple_get` measure `latency`: `value` is not a number"), "{wrong}");
/// ```
pub fn check(json: &str) -> Result<(), String> {
    let document: Value =
        serde_json::from_str(json).map_err(|e| format!("it is not JSON ({e})"))?;
    let Value::Object(benchmarks) = document else {
        return Err(format!(
            "the document must be an object of benchmark names, not {}",
            kind(&document)
        ));
    };
    for (name, measures) in &benchmarks {
        if name.is_empty() || name.len() > MAX_BENCHMARK_NAME {
            return Err(format!(
                "benchmark name `{name}` must be 1 to {MAX_BENCHMARK_NAME} bytes long"
            ));
        }
        let Value::Object(measures) = measures else {
            return Err(format!(
                "benchmark `{name}` must be an object of measures, not {}",
                kind(measures)
            ));
        };
        for (slug, metric) in measures {
            if !is_slug(slug) {
                return Err(format!(
                    "benchmark `{name}` measure `{slug}` is not a slug: lowercase ASCII letters \
                     and digits joined by single `-`, at most {MAX_SLUG} bytes"
                ));
            }
            check_metric(metric).map_err(|e| format!("`{name}` measure `{slug}`: {e}"))?;
        }
    }
    Ok(())
}

fn check_metric(metric: &Value) -> Result<(), String> {
    let Value::Object(fields) = metric else {
        return Err(format!(
            "a metric must be an object with a `value`, not {}",
            kind(metric)
        ));
    };
    if let Some(other) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "value" | "lower_value" | "upper_value"))
    {
        return Err(format!(
            "`{other}` is not a metric field (value, lower_value, upper_value)"
        ));
    }
    let number = |field: &str| -> Result<Option<f64>, String> {
        match fields.get(field) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| format!("`{field}` is not a number: {v}")),
        }
    };
    let value = number("value")?.ok_or("the metric has no `value`")?;
    if let Some(lower) = number("lower_value")?
        && lower > value
    {
        return Err(format!("`lower_value` {lower} is above `value` {value}"));
    }
    if let Some(upper) = number("upper_value")?
        && upper < value
    {
        return Err(format!("`upper_value` {upper} is below `value` {value}"));
    }
    Ok(())
}

/// What `slug::slugify` leaves unchanged, as Bencher checks a slug:
/// lowercase ASCII letters and digits joined by single hyphens.
fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Stats;
    use crate::bench::report::BenchResult;

    fn stats(p50: f64, allocs: Option<f64>) -> Stats {
        Stats {
            samples: 4000,
            p50_us: p50,
            p95_us: p50 * 1.3,
            p99_us: p50 * 2.0,
            max_us: p50 * 10.0,
            mean_us: p50,
            ops_per_sec: 1e6 / p50,
            allocs_per_op: allocs,
            bytes_per_op: allocs.map(|a| a * 100.0),
        }
    }

    fn report() -> BenchReport {
        let mut report = BenchReport::starting_now("abc", "same-thread");
        let mut http1 = BenchResult::new(
            "simple_get",
            "http1",
            "HTTP/1.1",
            &stats(20.0, Some(26.0)),
            "raw-hyper-http1",
            &stats(16.0, None),
        );
        http1.topology = "same-thread".into();
        http1.spread_pct = 8.0;
        let mut direct = BenchResult::new(
            "simple_get",
            "direct",
            "in-process",
            &stats(1.0, None),
            "raw-oneshot",
            &stats(0.8, None),
        );
        direct.noisy = true;
        report.results = vec![http1, direct];
        report
    }

    fn parsed(report: &BenchReport) -> Value {
        serde_json::from_str(&to_json(report).expect("a BMF document")).expect("JSON")
    }

    #[test]
    fn every_cell_is_a_driver_benchmark_and_a_floor_benchmark_named_with_its_topology() {
        let bmf = parsed(&report());
        let names: Vec<&str> = bmf
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            names,
            [
                "simple_get/direct/same-thread/floor:raw-oneshot_bencher_ignore",
                "simple_get/direct/same-thread_bencher_ignore",
                "simple_get/http1/same-thread",
                "simple_get/http1/same-thread/floor:raw-hyper-http1",
            ]
        );
        let http1 = &bmf["simple_get/http1/same-thread"];
        assert_eq!(http1["latency"]["value"], 20_000.0);
        assert_eq!(http1["latency"]["lower_value"], 19_200.0);
        assert_eq!(http1["latency"]["upper_value"], 20_800.0);
        assert_eq!(http1["latency-p99"]["value"], 40_000.0);
        assert_eq!(http1["allocations"]["value"], 26.0);
        assert_eq!(http1["allocated-bytes"]["value"], 2_600.0);
        assert_eq!(http1["floor-ratio"]["value"], 1.25);
        let floor = &bmf["simple_get/http1/same-thread/floor:raw-hyper-http1"];
        assert_eq!(floor["latency"], serde_json::json!({ "value": 16_000.0 }));
        assert_eq!(floor["latency-p99"]["value"], 32_000.0);
    }

    #[test]
    fn a_figure_the_run_did_not_count_is_left_out_not_written_as_null() {
        let mut report = report();
        report.results[1].floor_p50_us = 0.0;
        let bmf = parsed(&report);
        let direct = &bmf["simple_get/direct/same-thread_bencher_ignore"];
        assert!(direct.get("allocations").is_none(), "{direct}");
        assert!(direct.get("allocated-bytes").is_none(), "{direct}");
        assert!(direct.get("floor-ratio").is_none(), "{direct}");
        assert!(direct.get("latency").is_some(), "{direct}");
        let floor = &bmf["simple_get/direct/same-thread/floor:raw-oneshot_bencher_ignore"];
        assert!(floor.get("latency").is_none(), "{floor}");
    }

    #[test]
    fn a_load_row_is_a_benchmark_per_concurrency_with_its_throughput() {
        let mut report = report();
        report.results.clear();
        report.topology = "cross-thread".into();
        report.load.push(LoadResult {
            scenario: "simple_get".into(),
            driver: "http1".into(),
            concurrency: 16,
            mode: "connections".into(),
            requests: 2000,
            seconds: 0.5,
            throughput_rps: 4000.0,
            p50_us: 300.0,
            p95_us: 500.0,
            p99_us: 900.0,
            max_us: 2000.0,
        });
        let bmf = parsed(&report);
        let load = &bmf["simple_get/http1/cross-thread/concurrency-16"];
        assert_eq!(load["throughput"]["value"], 4000.0);
        assert_eq!(load["latency"]["value"], 300_000.0);
        assert_eq!(load["latency-p99"]["value"], 900_000.0);
    }

    #[test]
    fn two_rows_of_one_benchmark_are_refused_naming_it() {
        let mut report = report();
        report.results.push(report.results[0].clone());
        let error = to_json(&report).unwrap_err();
        assert!(
            error.contains("the same benchmark `simple_get/http1/same-thread`"),
            "{error}"
        );
    }

    #[test]
    fn an_empty_run_is_an_empty_document() {
        let mut report = report();
        report.results.clear();
        assert_eq!(to_json(&report).unwrap(), "{}");
    }

    #[test]
    fn the_documented_example_passes_the_check() {
        // Bencher's own example, from the BMF reference page.
        let example = r#"{
            "benchmark_name": {
                "latency": { "value": 88.0, "lower_value": 87.42, "upper_value": 88.88 },
                "throughput": { "value": 5.55, "lower_value": 3.14, "upper_value": 6.30 }
            },
            "/bin/sh -c ./my_build_script.sh": { "build-time": { "value": 87.0 } },
            "my_binary": { "file-size": { "value": 42.0 } }
        }"#;
        assert_eq!(check(example), Ok(()));
    }

    #[test]
    fn the_check_refuses_every_wrong_shape_naming_what_is_wrong() {
        let long_name = "x".repeat(MAX_BENCHMARK_NAME + 1);
        let long_slug = "m".repeat(MAX_SLUG + 1);
        let cases = [
            ("not json", "it is not JSON"),
            ("[]", "must be an object of benchmark names, not an array"),
            (r#"{"": {}}"#, "benchmark name `` must be 1 to 1024"),
            (
                &format!(r#"{{"{long_name}": {{}}}}"#),
                "must be 1 to 1024 bytes long",
            ),
            (r#"{"b": 1}"#, "benchmark `b` must be an object of measures"),
            (
                r#"{"b": {"Latency": {"value": 1}}}"#,
                "`Latency` is not a slug",
            ),
            (
                r#"{"b": {"p99_ns": {"value": 1}}}"#,
                "`p99_ns` is not a slug",
            ),
            (r#"{"b": {"-x": {"value": 1}}}"#, "`-x` is not a slug"),
            (r#"{"b": {"a--b": {"value": 1}}}"#, "`a--b` is not a slug"),
            (
                &format!(r#"{{"b": {{"{long_slug}": {{"value": 1}}}}}}"#),
                "is not a slug",
            ),
            (
                r#"{"b": {"latency": 1}}"#,
                "must be an object with a `value`",
            ),
            (r#"{"b": {"latency": {}}}"#, "has no `value`"),
            (
                r#"{"b": {"latency": {"value": null}}}"#,
                "`value` is not a number",
            ),
            (
                r#"{"b": {"latency": {"value": "1"}}}"#,
                "`value` is not a number",
            ),
            (
                r#"{"b": {"latency": {"value": 1, "lower_value": "0"}}}"#,
                "`lower_value` is not a number",
            ),
            (
                r#"{"b": {"latency": {"value": 1, "lower_value": 2}}}"#,
                "`lower_value` 2 is above `value` 1",
            ),
            (
                r#"{"b": {"latency": {"value": 1, "upper_value": 0.5}}}"#,
                "`upper_value` 0.5 is below `value` 1",
            ),
            (
                r#"{"b": {"latency": {"value": 1, "p99": 2}}}"#,
                "`p99` is not a metric field",
            ),
        ];
        for (json, expected) in cases {
            let error = check(json).expect_err(json);
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn slugs_are_what_slugify_leaves_unchanged() {
        for good in ["latency", "latency-p99", "floor-ratio", "a1", "2nd-measure"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "é", "a.b"] {
            assert!(!is_slug(bad), "{bad}");
        }
        assert!(is_slug(&"m".repeat(MAX_SLUG)));
    }
}
