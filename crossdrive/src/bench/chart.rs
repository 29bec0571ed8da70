//! `bench.svg`: p50 per scenario per driver, each beside its floor, with
//! p99 whiskers and the ratio written on it, drawn with plotters' SVG
//! backend.
//!
//! Horizontal bars on a logarithmic axis: cells range from well under a
//! microsecond (in-process) to milliseconds (1 MiB bodies), so a linear
//! axis would flatten every fast row to nothing. One band per scenario;
//! in it, one slot per driver holding the driver's bar (its colour) above
//! its floor's (the same colour, lighter), and the ratio driver/floor
//! written past the driver's whisker, since the ratio is the figure that
//! means something. The legend has its own strip below the plot, so it
//! covers no bar however many scenarios there are, and names each
//! driver's floor: the key for every band at once.

use crate::bench::report::BenchReport;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The SVG's width, pixels.
const WIDTH: u32 = 1100;
/// One driver's slot in a band (its bar and its floor's), pixels.
const SLOT: u32 = 24;
/// One legend entry: a driver, its floor and their swatches.
const LEGEND_ENTRY: (u32, u32) = (360, 18);
/// Room for the legend's title line and margins.
const LEGEND_TOP: u32 = 30;
/// Share of a driver's slot its bar takes, then its floor's bar.
const DRIVER_BAR: f64 = 0.5;
const FLOOR_BAR: f64 = 0.32;

/// Renders the chart as an SVG document.
pub(crate) fn render(report: &BenchReport) -> Result<String, String> {
    let drivers = report.drivers();
    let scenarios = report.scenarios();
    if drivers.is_empty() || scenarios.is_empty() {
        return Err("no results to chart".into());
    }
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let band = SLOT.saturating_mul(count(drivers.len())) + 12;
    let plot_height = 120 + band.saturating_mul(count(scenarios.len()));
    let per_row = (WIDTH - 40) / LEGEND_ENTRY.0;
    let legend_rows = count(drivers.len()).div_ceil(per_row);
    let legend_height = LEGEND_TOP + LEGEND_ENTRY.1 * legend_rows + 12;
    let (min, max) = latency_axis(report);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, plot_height + legend_height))
            .into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (plot, legend) = root.split_vertically(plot_height);
        let groups = scenarios.len() as f64;
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                format!(
                    "crossdrive bench: p50 per scenario and driver beside its floor, p99 whiskers ({}, {})",
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
        let ratio_style =
            TextStyle::from(("sans-serif", 11).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        for (d, driver) in drivers.iter().enumerate() {
            let colour = colour_of(d);
            let floor_colour = colour.mix(0.35);
            let bars = driver_bars(report, &scenarios, driver, slot * d as f64, slot);
            chart
                .draw_series(bars.iter().flat_map(|b| {
                    let driver = Rectangle::new([(min, b.top), (b.p50, b.mid())], colour.filled());
                    // No floor measured: no bar at 0 on a log axis.
                    let floor = (b.floor_p50 > 0.0).then(|| {
                        Rectangle::new(
                            [(min, b.mid()), (b.floor_p50, b.bottom)],
                            floor_colour.filled(),
                        )
                    });
                    std::iter::once(driver).chain(floor)
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(bars.iter().flat_map(|b| {
                    let driver_y = (b.top + b.mid()) / 2.0;
                    let floor_y = (b.mid() + b.bottom) / 2.0;
                    let driver =
                        PathElement::new(vec![(b.p50, driver_y), (b.p99, driver_y)], BLACK);
                    let floor = (b.floor_p50 > 0.0).then(|| {
                        PathElement::new(
                            vec![(b.floor_p50, floor_y), (b.floor_p99, floor_y)],
                            BLACK.mix(0.5),
                        )
                    });
                    std::iter::once(driver).chain(floor)
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(bars.iter().map(|b| {
                    let at = b.p99.max(b.p50).max(b.floor_p99) * 1.08;
                    Text::new(b.label.clone(), (at, b.mid()), ratio_style.clone())
                }))
                .map_err(|e| e.to_string())?;
        }
        draw_legend(&legend, report, &drivers)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Driver `d`'s colour.
fn colour_of(d: usize) -> RGBAColor {
    Palette99::pick(d).to_rgba()
}

/// The legend strip below the plot: what a bar, its lighter twin and the
/// label are, then each driver's colour beside its floor's and the
/// floor's name, several to a row.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    report: &BenchReport,
    drivers: &[&str],
) -> Result<(), String> {
    let font = ("sans-serif", 12).into_font();
    let error = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.draw(&Text::new(
        "Each driver's bar (p50, p99 whisker) sits above its floor's lighter bar, measured beside \
         it; the label is driver p50 / floor p50 († noisy).",
        (20, 8),
        font.clone(),
    ))
    .map_err(error)?;
    let per_row = ((WIDTH - 40) / LEGEND_ENTRY.0).max(1) as usize;
    for (d, driver) in drivers.iter().enumerate() {
        let (column, row) = (d % per_row, d / per_row);
        let x = 20 + i32::try_from(column).unwrap_or(0) * LEGEND_ENTRY.0 as i32;
        let y = LEGEND_TOP as i32 + i32::try_from(row).unwrap_or(0) * LEGEND_ENTRY.1 as i32;
        let colour = colour_of(d);
        let floor = report
            .results
            .iter()
            .find(|r| r.driver == *driver)
            .map_or("none measured", |r| r.floor.as_str());
        area.draw(&Rectangle::new([(x, y), (x + 12, y + 10)], colour.filled()))
            .map_err(error)?;
        area.draw(&Rectangle::new(
            [(x + 14, y), (x + 26, y + 10)],
            colour.mix(0.35).filled(),
        ))
        .map_err(error)?;
        area.draw(&Text::new(
            format!("{driver}, floor {floor}"),
            (x + 32, y - 1),
            font.clone(),
        ))
        .map_err(error)?;
    }
    Ok(())
}

/// The latency axis: from half the fastest p50 (driver or floor, at
/// least 0.005 µs) to four times the slowest p99, so every bar, whisker
/// and the ratio written past it fit on the log scale.
fn latency_axis(report: &BenchReport) -> (f64, f64) {
    let min = report
        .results
        .iter()
        .flat_map(|r| [r.p50_us, r.floor_p50_us])
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min)
        .max(0.01)
        / 2.0;
    let max = report
        .results
        .iter()
        .map(|r| r.p99_us.max(r.p50_us).max(r.floor_p99_us))
        .fold(0.0, f64::max)
        * 4.0;
    (min, max.max(min * 10.0))
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

/// One cell's bars in chart coordinates.
#[derive(Debug, Clone, PartialEq)]
struct Bars {
    p50: f64,
    p99: f64,
    floor_p50: f64,
    floor_p99: f64,
    /// Where the driver's bar starts, down the scenario axis.
    top: f64,
    /// The slot's height.
    height: f64,
    /// Past the driver's whisker: `1.09×`, `†` when noisy.
    label: String,
    /// The floor's bar ends here.
    bottom: f64,
}

impl Bars {
    /// Where the driver's bar ends and its floor's begins.
    fn mid(&self) -> f64 {
        self.top + self.height * DRIVER_BAR
    }
}

/// One driver's bars, one per scenario it has a cell for: `offset` down
/// its band, `slot` high.
fn driver_bars(
    report: &BenchReport,
    scenarios: &[&str],
    driver: &str,
    offset: f64,
    slot: f64,
) -> Vec<Bars> {
    scenarios
        .iter()
        .enumerate()
        .filter_map(|(g, scenario)| {
            report.cell(scenario, driver).map(|r| {
                let top = g as f64 + 0.05 + offset;
                let ratio = r.ratio();
                let mark = if r.noisy { " †" } else { "" };
                let label = if ratio.is_finite() {
                    format!("{ratio:.2}×{mark}")
                } else {
                    format!("no floor{mark}")
                };
                // A report from before rows carried the floor's p99
                // reads 0: no whisker.
                let floor_p99 = r.floor_p99_us.max(r.floor_p50_us);
                Bars {
                    p50: r.p50_us,
                    p99: r.p99_us.max(r.p50_us),
                    floor_p50: r.floor_p50_us,
                    floor_p99,
                    top,
                    height: slot,
                    label,
                    bottom: top + slot * (DRIVER_BAR + FLOOR_BAR),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Stats;
    use crate::bench::report::BenchResult;

    fn row(scenario: &str, driver: &str, p50: f64, floor: &str, floor_p50: f64) -> BenchResult {
        let stats = |p50: f64| Stats {
            samples: 1000,
            p50_us: p50,
            p95_us: p50 * 1.2,
            p99_us: p50 * 1.5,
            max_us: p50 * 4.0,
            mean_us: p50,
            ops_per_sec: 1e6 / p50,
            allocs_per_op: None,
            bytes_per_op: None,
        };
        BenchResult::new(scenario, driver, "p", &stats(p50), floor, &stats(floor_p50))
    }

    fn report() -> BenchReport {
        let mut report = BenchReport::starting_now("abc", "same-thread");
        for (scenario, scale) in [
            ("simple_get", 1.0),
            ("crud_cycle", 6.0),
            ("payload_1mib", 400.0),
        ] {
            report.results.push(row(
                scenario,
                "direct",
                1.2 * scale,
                "raw-oneshot",
                1.0 * scale,
            ));
            report.results.push(row(
                scenario,
                "http1",
                22.0 * scale,
                "raw-hyper-http1",
                20.0 * scale,
            ));
            report.results.push(row(
                scenario,
                "lambda",
                13.0 * scale,
                "bare-adapter",
                10.0 * scale,
            ));
        }
        report.results[4].noisy = true;
        report
    }

    /// A `<text>` element's y and content.
    type Texts = Vec<(f64, String)>;
    /// A `<rect>`'s left edge, top and bottom.
    type Rects = Vec<(f64, f64, f64)>;

    /// Every `<text>` element's y and content, and every `<rect>`'s left
    /// edge and y range, as plotters writes them.
    fn texts_and_rects(svg: &str) -> (Texts, Rects) {
        let attribute = |element: &str, name: &str| -> Option<f64> {
            let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
            let end = start + element[start..].find('"')?;
            element[start..end].parse().ok()
        };
        let mut texts = Vec::new();
        for piece in svg.split("<text").skip(1) {
            let (element, rest) = piece.split_once('>').expect("a text element");
            let content = rest.split("</text>").next().unwrap_or_default();
            texts.push((
                attribute(element, "y").expect("y"),
                content.trim().to_owned(),
            ));
        }
        let mut rects = Vec::new();
        for piece in svg.split("<rect").skip(1) {
            let element = piece.split("/>").next().unwrap_or_default();
            let y = attribute(element, "y").expect("y");
            let x = attribute(element, "x").expect("x");
            rects.push((x, y, y + attribute(element, "height").expect("height")));
        }
        (texts, rects)
    }

    #[test]
    fn every_cell_of_every_scenario_has_its_ratio_written_beside_its_bar() {
        let svg = render(&report()).expect("a chart");
        let (texts, _) = texts_and_rects(&svg);
        let labels: Vec<&str> = texts
            .iter()
            .map(|(_, t)| t.as_str())
            .filter(|t| t.contains('×'))
            .collect();
        assert_eq!(labels.len(), 9, "{labels:?}");
        assert_eq!(labels.iter().filter(|l| **l == "1.20×").count(), 3);
        assert_eq!(labels.iter().filter(|l| **l == "1.30×").count(), 3);
        assert!(labels.contains(&"1.10× †"), "{labels:?}");
    }

    #[test]
    fn the_legend_names_every_drivers_floor_below_every_bar() {
        let svg = render(&report()).expect("a chart");
        let (texts, rects) = texts_and_rects(&svg);
        let legend: Vec<&(f64, String)> = texts
            .iter()
            .filter(|(_, t)| t.contains(", floor "))
            .collect();
        let entries: Vec<&str> = legend.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            entries,
            [
                "direct, floor raw-oneshot",
                "http1, floor raw-hyper-http1",
                "lambda, floor bare-adapter"
            ]
        );
        // Every bar, a driver's or a floor's, starts at the axis's left
        // end: the left edge most rects share. The legend is all below
        // the lowest of them.
        let left = |x: f64| rects.iter().filter(|r| r.0 == x).count();
        let axis = rects
            .iter()
            .map(|r| r.0)
            .max_by_key(|x| left(*x))
            .expect("bars");
        assert_eq!(left(axis), 18, "9 cells, each a driver's bar and a floor's");
        let lowest_bar = rects
            .iter()
            .filter(|r| r.0 == axis)
            .map(|r| r.2)
            .fold(0.0, f64::max);
        for (y, entry) in &legend {
            assert!(
                *y > lowest_bar,
                "`{entry}` at y={y} overlaps a bar ending at {lowest_bar}"
            );
        }
    }

    #[test]
    fn a_driver_bar_sits_above_its_floor_in_its_own_slot() {
        let report = report();
        let scenarios = report.scenarios();
        let bars = driver_bars(&report, &scenarios, "http1", 0.3, 0.3);
        assert_eq!(bars.len(), 3);
        let first = &bars[0];
        assert!(
            first.top < first.mid() && first.mid() < first.bottom,
            "{first:?}"
        );
        assert!(first.bottom <= first.top + 0.3, "{first:?}");
        assert_eq!((first.p50, first.floor_p50), (22.0, 20.0));
        assert_eq!(first.label, "1.10×");
        assert!(
            bars[1].top >= 1.0 && bars[2].top >= 2.0,
            "one band per scenario"
        );
    }

    #[test]
    fn a_row_without_a_floor_says_so_instead_of_a_ratio() {
        let mut report = BenchReport::starting_now("abc", "same-thread");
        report.results.push(row("s", "mine", 3.0, "none", 0.0));
        let scenarios = report.scenarios();
        assert_eq!(
            driver_bars(&report, &scenarios, "mine", 0.0, 0.9)[0].label,
            "no floor"
        );
        assert!(render(&report).is_ok());
    }
}
