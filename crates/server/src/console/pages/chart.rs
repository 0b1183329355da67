//! A stacked bar chart drawn on the server as inline SVG: one bar per time bucket, one
//! segment per series coloured by a CSS class, a `<title>` tooltip on each bar, a legend,
//! and a table of the same numbers (in `<details>`) for screen readers and tests.

use maud::{Markup, html};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;

/// One stacked series: its name and the CSS class that colours it.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub label: &'a str,
    pub class: &'a str,
}

/// One bar: what it covers (e.g. "2026-05-01 12:00–12:05") and a value per series.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub values: Vec<u64>,
}

impl Bar {
    fn total(&self) -> u64 {
        self.values.iter().sum()
    }
}

/// A chart: `id` names the figure (`data-testid`), `caption` says what it shows, and
/// `axis` labels the start and the end of the time axis.
pub struct StackedBars<'a> {
    pub id: &'a str,
    pub caption: &'a str,
    pub series: &'a [Series<'a>],
    pub bars: &'a [Bar],
    pub axis: (&'a str, &'a str),
}

/// The smallest of 1, 2 or 5 × 10ⁿ at or above `max` (1 for an empty chart).
pub fn nice_max(max: u64) -> u64 {
    let mut power: u64 = 1;
    loop {
        for factor in [1, 2, 5] {
            match power.checked_mul(factor) {
                Some(candidate) if candidate >= max => return candidate,
                Some(_) => {}
                None => return u64::MAX,
            }
        }
        power = match power.checked_mul(10) {
            Some(next) => next,
            None => return u64::MAX,
        };
    }
}

/// The vertical position of `value` on a scale from 0 to `top_value`.
fn y_of(value: u64, top_value: u64) -> f64 {
    let share = value as f64 / top_value.max(1) as f64;
    TOP + PLOT_HEIGHT * (1.0 - share.min(1.0))
}

/// The values with a grid line: 0, the middle when it is whole, and the top.
fn ticks(top_value: u64) -> Vec<u64> {
    let mut ticks = vec![0];
    if top_value.is_multiple_of(2) {
        ticks.push(top_value / 2);
    }
    ticks.push(top_value);
    ticks
}

/// One segment of a stacked bar, in SVG units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    series: usize,
    y: f64,
    height: f64,
}

/// The non-empty segments of `bar`, stacked from the bottom in series order.
fn segments(bar: &Bar, top_value: u64) -> Vec<Segment> {
    let mut below = 0;
    let mut segments = Vec::new();
    for (series, value) in bar.values.iter().enumerate() {
        if *value == 0 {
            continue;
        }
        let above = below + value;
        let y = y_of(above, top_value);
        segments.push(Segment {
            series,
            y,
            height: y_of(below, top_value) - y,
        });
        below = above;
    }
    segments
}

/// "12:00–12:05 UTC: 3 success, 1 webhook_error" (or "no sends").
fn tooltip(bar: &Bar, series: &[Series<'_>]) -> String {
    let parts: Vec<String> = series
        .iter()
        .zip(&bar.values)
        .filter(|(_, value)| **value > 0)
        .map(|(series, value)| format!("{value} {}", series.label))
        .collect();
    if parts.is_empty() {
        format!("{}: none", bar.label)
    } else {
        format!("{}: {}", bar.label, parts.join(", "))
    }
}

fn number(value: f64) -> String {
    format!("{value:.1}")
}

/// The chart as a `<figure>`: the SVG, its legend and its table.
pub fn render(chart: &StackedBars<'_>) -> Markup {
    let top_value = nice_max(chart.bars.iter().map(Bar::total).max().unwrap_or(0));
    let slot = PLOT_WIDTH / chart.bars.len().max(1) as f64;
    let bar_width = (slot * 0.8).max(1.0);
    let caption_id = format!("{}-caption", chart.id);
    html! {
        figure.chart data-testid=(chart.id) {
            figcaption #(caption_id) { (chart.caption) }
            svg.bars viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(caption_id) {
                @for tick in ticks(top_value) {
                    @let y = number(y_of(tick, top_value));
                    line.grid x1=(number(LEFT)) x2=(number(WIDTH - RIGHT)) y1=(y) y2=(y) {}
                    text x=(number(LEFT - 6.0)) y=(y) text-anchor="end" dominant-baseline="middle" { (tick) }
                }
                @for (index, bar) in chart.bars.iter().enumerate() {
                    @let x = number(LEFT + slot * index as f64 + (slot - bar_width) / 2.0);
                    g.bar {
                        title { (tooltip(bar, chart.series)) }
                        rect.hit x=(x) y=(number(TOP)) width=(number(bar_width)) height=(number(PLOT_HEIGHT)) {}
                        @for segment in segments(bar, top_value) {
                            rect class=(chart.series.get(segment.series).map_or("", |series| series.class))
                                x=(x) y=(number(segment.y)) width=(number(bar_width)) height=(number(segment.height)) {}
                        }
                    }
                }
                text x=(number(LEFT)) y=(number(HEIGHT - 6.0)) { (chart.axis.0) }
                text x=(number(WIDTH - RIGHT)) y=(number(HEIGHT - 6.0)) text-anchor="end" { (chart.axis.1) }
            }
            ul.legend {
                @for series in chart.series {
                    li { span class={ "swatch " (series.class) } {} " " (series.label) }
                }
            }
            details {
                summary { "The numbers as a table" }
                (table(chart))
            }
        }
    }
}

fn table(chart: &StackedBars<'_>) -> Markup {
    html! {
        div.scroll { table data-testid={ (chart.id) "-table" } {
            caption { (chart.caption) }
            thead { tr {
                th scope="col" { "Time (UTC)" }
                @for series in chart.series { th.num scope="col" { (series.label) } }
                th.num scope="col" { "Total" }
            } }
            tbody { @for bar in chart.bars { tr {
                th scope="row" { (bar.label) }
                @for (series, value) in chart.series.iter().zip(&bar.values) { td class={ "num " (series.class) } { (value) } }
                td.num.total { (bar.total()) }
            } } }
        } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two series as a chart of deliveries might have them.
    const SERIES: [Series<'static>; 2] = [
        Series {
            label: "delivered",
            class: "ok",
        },
        Series {
            label: "failed",
            class: "err",
        },
    ];

    fn bar(values: &[u64]) -> Bar {
        Bar {
            label: "12:00–12:05".into(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn the_scale_tops_at_one_two_or_five_times_a_power_of_ten() {
        let cases = [
            (0, 1),
            (1, 1),
            (2, 2),
            (3, 5),
            (5, 5),
            (6, 10),
            (11, 20),
            (42, 50),
            (99, 100),
            (101, 200),
            (4_999, 5_000),
            (u64::MAX, u64::MAX),
        ];
        for (max, expected) in cases {
            assert_eq!(nice_max(max), expected, "max {max}");
        }
        assert_eq!(ticks(10), [0, 5, 10]);
        assert_eq!(ticks(5), [0, 5]);
    }

    #[test]
    fn values_map_onto_the_plot_from_the_bottom_up() {
        assert_eq!(y_of(0, 10), TOP + PLOT_HEIGHT);
        assert_eq!(y_of(10, 10), TOP);
        assert_eq!(y_of(5, 10), TOP + PLOT_HEIGHT / 2.0);
        assert_eq!(y_of(20, 10), TOP, "a value above the scale is clamped");
    }

    #[test]
    fn stacked_segments_touch_and_skip_empty_series() {
        let stacked = segments(&bar(&[3, 2]), 10);
        assert_eq!(stacked.len(), 2);
        let (first, second) = (stacked[0], stacked[1]);
        assert_eq!(first.series, 0);
        assert!((first.y + first.height - (TOP + PLOT_HEIGHT)).abs() < 1e-9);
        assert!((second.y + second.height - first.y).abs() < 1e-9);
        assert!((first.height - PLOT_HEIGHT * 0.3).abs() < 1e-9);
        assert!((second.y - y_of(5, 10)).abs() < 1e-9);
        let only_errors = segments(&bar(&[0, 4]), 5);
        assert_eq!(only_errors.len(), 1);
        assert_eq!(only_errors[0].series, 1);
        assert!(segments(&bar(&[0, 0]), 1).is_empty());
    }

    #[test]
    fn every_bar_has_a_tooltip_and_a_table_row() {
        let bars = [bar(&[3, 1]), bar(&[0, 0])];
        let chart = StackedBars {
            id: "sends-hour",
            caption: "Sends in the last hour",
            series: &SERIES,
            bars: &bars,
            axis: ("12:00", "13:00"),
        };
        let html = render(&chart).into_string();
        assert!(html.contains("<title>12:00–12:05: 3 delivered, 1 failed</title>"));
        assert!(html.contains("<title>12:00–12:05: none</title>"));
        assert!(html.contains(r#"data-testid="sends-hour-table""#));
        assert!(html.contains(r#"<td class="num total">4</td>"#), "{html}");
        assert!(html.contains(r#"<td class="num err">1</td>"#), "{html}");
        assert!(html.contains(r#"class="ok""#) && html.contains(r#"class="err""#));
        assert!(!html.contains("style="), "the CSP forbids inline styles");
    }
}
