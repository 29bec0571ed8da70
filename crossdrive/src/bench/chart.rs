//! `bench.svg`: p50 per scenario per driver with p99 whiskers, drawn with
//! plotters' SVG backend.
//!
//! Horizontal bars on a logarithmic axis: cells range from well under a
//! microsecond (in-process) to milliseconds (1 MiB bodies), so a linear
//! axis would flatten every fast row to nothing. One colour per driver,
//! one band per scenario, the legend in the corner.

use crate::bench::report::BenchReport;
use plotters::prelude::*;

/// Renders the chart as an SVG document.
pub(crate) fn render(report: &BenchReport) -> Result<String, String> {
    let drivers = report.drivers();
    let scenarios = report.scenarios();
    if drivers.is_empty() || scenarios.is_empty() {
        return Err("no results to chart".into());
    }
    let bar = 12u32;
    let band = bar * u32::try_from(drivers.len()).unwrap_or(1) + 10;
    let height = 120 + band * u32::try_from(scenarios.len()).unwrap_or(1);
    let (min, max) = latency_axis(report);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let groups = scenarios.len() as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "crossdrive bench: p50 per scenario and driver, p99 whiskers ({}, {})",
                    report.topology, report.started
                ),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(190)
            .build_cartesian_2d((min..max).log_scale(), groups..0.0)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_max_light_lines(1)
            .y_labels(scenarios.len() * 2 + 1)
            .y_label_formatter(&|y| band_label(&scenarios, *y))
            .x_desc("latency, µs (log scale)")
            .draw()
            .map_err(|e| e.to_string())?;
        let slot = 0.9 / drivers.len() as f64;
        for (d, driver) in drivers.iter().enumerate() {
            let colour = Palette99::pick(d).to_rgba();
            let bars = driver_bars(report, &scenarios, driver, slot * d as f64, slot);
            chart
                .draw_series(bars.iter().map(|&(p50, _, top, bottom)| {
                    Rectangle::new([(min, top), (p50, bottom)], colour.filled())
                }))
                .map_err(|e| e.to_string())?
                .label(*driver)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
            chart
                .draw_series(bars.iter().map(|&(p50, p99, top, bottom)| {
                    let mid = (top + bottom) / 2.0;
                    PathElement::new(vec![(p50, mid), (p99, mid)], BLACK.stroke_width(1))
                }))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The latency axis: from half the fastest p50 (at least 0.005 µs) to twice
/// the slowest p99, so every bar and whisker fits on the log scale.
fn latency_axis(report: &BenchReport) -> (f64, f64) {
    let min = report
        .results
        .iter()
        .map(|r| r.p50_us)
        .fold(f64::INFINITY, f64::min)
        .max(0.01)
        / 2.0;
    let max = report
        .results
        .iter()
        .map(|r| r.p99_us.max(r.p50_us))
        .fold(0.0, f64::max)
        * 2.0;
    (min, max)
}

/// The label at `y` on the scenario axis: each band's scenario name at its
/// middle only.
fn band_label(scenarios: &[&str], y: f64) -> String {
    let band = y.floor();
    if (y - band - 0.5).abs() < 0.01 {
        scenarios
            .get(band as usize)
            .map_or(String::new(), |s| (*s).to_owned())
    } else {
        String::new()
    }
}

/// One driver's bars, `(p50, p99, top, bottom)` per scenario it has a cell
/// for: `offset` down its band, `slot` high less a gap.
fn driver_bars(
    report: &BenchReport,
    scenarios: &[&str],
    driver: &str,
    offset: f64,
    slot: f64,
) -> Vec<(f64, f64, f64, f64)> {
    scenarios
        .iter()
        .enumerate()
        .filter_map(|(g, scenario)| {
            report.cell(scenario, driver).map(|r| {
                let top = g as f64 + 0.05 + offset;
                (r.p50_us, r.p99_us, top, top + slot * 0.85)
            })
        })
        .collect()
}
