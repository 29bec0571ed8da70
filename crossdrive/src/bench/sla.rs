//! Service-level gates: `--sla 'p95<800us'`.
//!
//! A rule is `[scenario[@driver]:]metric<limit`, where metric is one of
//! `p50`, `p95`, `p99`, `max`, `mean` and the limit carries a unit (`ns`,
//! `us` or `µs`, `ms`, `s`). Without a scenario the rule applies to every
//! cell. Several rules may be given, comma-separated or by repeating the
//! flag.

use std::fmt;

use super::report::{BenchReport, BenchResult};

/// One parsed rule.
///
/// ```
/// use crossdrive::bench::sla::{Metric, Sla};
/// let rule = Sla::parse("p95<800us").unwrap();
/// assert_eq!((rule.scenario, rule.driver), (None, None)); // every cell
/// assert_eq!((rule.metric, rule.limit_us), (Metric::P95, 800.0));
/// let one_cell = Sla::parse("simple_get@http1:p50<50us").unwrap();
/// assert_eq!(one_cell.to_string(), "simple_get@http1:p50<50us");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sla {
    /// Only this scenario, or every one.
    pub scenario: Option<String>,
    /// Only this driver, or every one.
    pub driver: Option<String>,
    /// Which statistic.
    pub metric: Metric,
    /// The limit, in microseconds.
    pub limit_us: f64,
    text: String,
}

/// The statistic a rule bounds.
///
/// ```
/// use crossdrive::bench::sla::{Metric, Sla};
/// assert_eq!(Sla::parse("max<1s").unwrap().metric, Metric::Max);
/// assert_eq!(Sla::parse("mean<20us").unwrap().metric, Metric::Mean);
/// assert!(Sla::parse("p90<1ms").unwrap_err().contains("unknown metric"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Metric {
    /// Median.
    P50,
    /// 95th percentile.
    P95,
    /// 99th percentile.
    P99,
    /// Slowest.
    Max,
    /// Mean.
    Mean,
}

impl Metric {
    fn of(self, r: &BenchResult) -> f64 {
        match self {
            Self::P50 => r.p50_us,
            Self::P95 => r.p95_us,
            Self::P99 => r.p99_us,
            Self::Max => r.max_us,
            Self::Mean => r.mean_us,
        }
    }
}

impl Sla {
    /// Parses one rule.
    ///
    /// ```
    /// use crossdrive::bench::sla::{Metric, Sla};
    /// let rule = Sla::parse("simple_get@http1:p99<2ms").unwrap();
    /// assert_eq!(rule.metric, Metric::P99);
    /// assert_eq!(rule.limit_us, 2000.0);
    /// assert_eq!(rule.scenario.as_deref(), Some("simple_get"));
    /// assert!(Sla::parse("p95<800").unwrap_err().contains("unit"));
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let hint = "write rules like p95<800us or simple_get:p99<2ms or simple_get@http1:p50<50us";
        let (target, rule) = match text.rsplit_once(':') {
            Some((target, rule)) => (Some(target), rule),
            None => (None, text),
        };
        let (scenario, driver) = match target {
            Some(t) => match t.split_once('@') {
                Some((s, d)) => (Some(s.to_owned()), Some(d.to_owned())),
                None => (Some(t.to_owned()), None),
            },
            None => (None, None),
        };
        let Some((metric, limit)) = rule.split_once('<') else {
            return Err(format!("SLA rule `{text}` has no `<`; {hint}"));
        };
        let metric = match metric.trim() {
            "p50" => Metric::P50,
            "p95" => Metric::P95,
            "p99" => Metric::P99,
            "max" => Metric::Max,
            "mean" => Metric::Mean,
            other => {
                return Err(format!(
                    "SLA rule `{text}`: unknown metric `{other}` (use p50, p95, p99, max or mean); {hint}"
                ));
            }
        };
        let limit = limit.trim();
        let split = limit
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(limit.len());
        let (number, unit) = limit.split_at(split);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("SLA rule `{text}`: `{number}` is not a number; {hint}"))?;
        let scale = match unit {
            "ns" => 0.001,
            "us" | "µs" => 1.0,
            "ms" => 1_000.0,
            "s" => 1_000_000.0,
            "" => {
                return Err(format!(
                    "SLA rule `{text}`: the limit needs a unit (ns, us, ms, s); {hint}"
                ));
            }
            other => {
                return Err(format!(
                    "SLA rule `{text}`: unknown unit `{other}` (use ns, us, ms or s); {hint}"
                ));
            }
        };
        Ok(Self {
            scenario,
            driver,
            metric,
            limit_us: value * scale,
            text: text.to_owned(),
        })
    }

    /// Parses a comma-separated list of rules.
    ///
    /// ```
    /// use crossdrive::bench::sla::Sla;
    /// let rules = Sla::parse_list("p95<800us, simple_get:p99<2ms,").unwrap();
    /// assert_eq!(rules.len(), 2);
    /// assert_eq!(rules[1].limit_us, 2000.0);
    /// assert!(Sla::parse_list("p95<800us,p99").is_err());
    /// ```
    pub fn parse_list(list: &str) -> Result<Vec<Self>, String> {
        list.split(',')
            .filter(|r| !r.trim().is_empty())
            .map(Self::parse)
            .collect()
    }

    /// The cells of `report` that break this rule, as sentences naming them.
    /// A rule naming a scenario or driver the report does not contain is an
    /// error, so a typo cannot pass silently.
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
    /// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
    /// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
    /// #         bytes_per_op: None };
    /// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
    /// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
    /// # }
    /// # let mut report = BenchReport::starting_now("abc123", "same-thread");
    /// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
    /// #     row("simple_get", "http1", 30.0, 20.0),
    /// #                       row("json_post", "direct", 3.0, 1.5)];
    /// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
    /// # use crossdrive::bench::sla::Sla;
    /// let broken = Sla::parse("p50<10us").unwrap().violations(&report).unwrap();
    /// assert_eq!(broken.len(), 1);
    /// assert!(broken[0].starts_with("simple_get on http1: P50 30.0µs"));
    /// assert!(Sla::parse("simple_gte:p50<10us").unwrap().violations(&report).is_err()); // a typo
    /// ```
    pub fn violations(&self, report: &BenchReport) -> Result<Vec<String>, String> {
        let applies = |r: &&BenchResult| {
            self.scenario.as_deref().is_none_or(|s| s == r.scenario)
                && self.driver.as_deref().is_none_or(|d| d == r.driver)
        };
        let cells: Vec<&BenchResult> = report.results.iter().filter(applies).collect();
        if cells.is_empty() {
            return Err(format!(
                "SLA rule `{}` matches no measured cell; check the scenario and driver names (scenarios: {})",
                self.text,
                report.scenarios().join(", ")
            ));
        }
        Ok(cells
            .into_iter()
            .filter(|r| self.metric.of(r) >= self.limit_us)
            .map(|r| {
                format!(
                    "{} on {}: {:?} {:.1}µs breaks `{}`",
                    r.scenario,
                    r.driver,
                    self.metric,
                    self.metric.of(r),
                    self.text
                )
            })
            .collect())
    }
}

impl fmt::Display for Sla {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
