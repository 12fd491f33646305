//! From figures to [`Chart`]s: picks each metric's values per bucket, converts them to the unit
//! on the axis, places the tier bands, and writes the title and caption. Pure: no I/O, so the
//! report and the tests build charts from metrics they already hold.

use super::format;
use super::model::{Band, Body, Chart, ChartKind, MetricKey, Point, Series, Unit, palette};
use chrono_tz::Tz;
use engine::explain::Explanation;
use engine::metrics::stats::summarize;
use engine::metrics::{Breakdown, MetricsReport, PhaseSummary};
use engine::period::{Bucket, Period};
use engine::tiers::{Bands, Scale, Tier};

/// What a metric chart is drawn from.
pub struct MetricChartInput<'a> {
    pub metric: MetricKey,
    /// One report per scope, each computed with `bucket`, in legend order.
    pub reports: &'a [MetricsReport],
    /// The previous period of the first scope, computed with the same bucket: drawn faintly.
    pub previous: Option<&'a MetricsReport>,
    pub bands: &'a Bands,
    pub small_sample: usize,
    pub bucket: Bucket,
}

/// One scope's series in raw units (seconds, per week, 0..1), with its total sample.
struct Raw {
    points: Vec<Option<Point>>,
    total: usize,
}

fn raw(metric: MetricKey, r: &MetricsReport) -> Raw {
    let point = |value: Option<f64>, samples: usize| value.map(|value| Point { value, samples });
    match metric {
        MetricKey::DeploymentFrequency => {
            let f = &r.deployment_frequency;
            Raw {
                points: f
                    .series
                    .iter()
                    .map(|p| point(Some(p.per_week), p.deployments))
                    .collect(),
                total: f.deployments,
            }
        }
        MetricKey::LeadTime => Raw {
            points: r
                .lead_time
                .series
                .iter()
                .map(|p| point(p.median_seconds.map(|s| s as f64), p.changes))
                .collect(),
            total: r.lead_time.changes,
        },
        MetricKey::ChangeFailureRate => Raw {
            points: r
                .change_failure_rate
                .series
                .iter()
                .map(|p| point(p.rate, p.deployments))
                .collect(),
            total: r.change_failure_rate.deployments,
        },
        MetricKey::TimeToRestore => Raw {
            points: r
                .time_to_restore
                .series
                .iter()
                .map(|p| point(p.median_seconds.map(|s| s as f64), p.samples))
                .collect(),
            total: r.time_to_restore.incidents + r.time_to_restore.rollbacks,
        },
        MetricKey::ReworkRate => Raw {
            points: r
                .rework_rate
                .series
                .iter()
                .map(|p| point(p.rate, p.deployments))
                .collect(),
            total: r.rework_rate.deployments,
        },
    }
}

/// The bucket start dates of a report's series (every metric shares them).
fn starts(r: &MetricsReport) -> Vec<chrono::NaiveDate> {
    r.deployment_frequency
        .series
        .iter()
        .map(|p| p.start)
        .collect()
}

/// Which of a report's buckets the period cuts (every metric shares them).
fn partial(r: &MetricsReport) -> Vec<bool> {
    r.deployment_frequency
        .series
        .iter()
        .map(|p| p.partial)
        .collect()
}

/// "Checkout", "Checkout vs Payments", "the whole organisation".
fn who(reports: &[MetricsReport]) -> String {
    let name = |r: &MetricsReport| {
        if r.team.is_none() {
            "whole organisation".to_string()
        } else {
            r.name.clone()
        }
    };
    reports.iter().map(name).collect::<Vec<_>>().join(" vs ")
}

fn period_of(r: &MetricsReport) -> Period {
    Period {
        from: r.from,
        to: r.to,
    }
}

/// How many samples, in words, for one scope.
fn sample_words(metric: MetricKey, r: &MetricsReport) -> String {
    match metric {
        MetricKey::DeploymentFrequency => {
            let n = r.deployment_frequency.deployments;
            format!("{} deployment{}", format::count(n), plural(n))
        }
        MetricKey::LeadTime => {
            let n = r.lead_time.changes;
            format!("{} change{}", format::count(n), plural(n))
        }
        MetricKey::ChangeFailureRate => {
            let c = &r.change_failure_rate;
            format!(
                "{} of {} deployments failed",
                format::count(c.failed),
                format::count(c.deployments)
            )
        }
        MetricKey::TimeToRestore => {
            let t = &r.time_to_restore;
            format!(
                "{} incident{}, {} rollback{}",
                t.incidents,
                plural(t.incidents),
                t.rollbacks,
                plural(t.rollbacks)
            )
        }
        MetricKey::ReworkRate => {
            let w = &r.rework_rate;
            format!(
                "{} of {} deployments unplanned",
                format::count(w.rework),
                format::count(w.deployments)
            )
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Why there is nothing to draw, in words.
fn empty_message(metric: MetricKey) -> &'static str {
    match metric {
        MetricKey::DeploymentFrequency | MetricKey::ReworkRate => "No deployments in this period",
        MetricKey::ChangeFailureRate => "No deployments in this period, so nothing could fail",
        MetricKey::LeadTime => "No changes reached production in this period",
        MetricKey::TimeToRestore => "No incidents or rollbacks in this period: nothing to restore",
    }
}

/// The chart of one metric per bucket, for one scope or several side by side.
pub fn metric_chart(input: &MetricChartInput) -> Chart {
    let metric = input.metric;
    let Some(first) = input.reports.first() else {
        return empty(
            ChartKind::Metric(metric),
            metric.title(),
            String::new(),
            "Nothing to show",
        );
    };
    let period = period_of(first);
    let per = format::per_bucket(input.bucket);
    let what = match metric {
        MetricKey::DeploymentFrequency if input.bucket == Bucket::Week => {
            "Deployments per week".to_string()
        }
        MetricKey::DeploymentFrequency if input.bucket == Bucket::Day => {
            "Deployments per day".to_string()
        }
        MetricKey::DeploymentFrequency => format!("Deployments per week, {per}"),
        MetricKey::LeadTime => format!("Median lead time {per}"),
        MetricKey::ChangeFailureRate => format!("Share of deployments that failed, {per}"),
        MetricKey::TimeToRestore => format!("Median recovery time {per}"),
        MetricKey::ReworkRate => format!("Share of deployments that were unplanned, {per}"),
    };
    let samples = if input.reports.len() == 1 {
        sample_words(metric, first)
    } else {
        input
            .reports
            .iter()
            .map(|r| format!("{} {}", r.name, sample_words(metric, r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let caption = format!(
        "{what}, {}, {}; {samples}",
        who(input.reports),
        format::period(&period)
    );
    let raws: Vec<Raw> = input.reports.iter().map(|r| raw(metric, r)).collect();
    if raws.iter().all(|r| r.total == 0) {
        return empty(
            ChartKind::Metric(metric),
            metric.title(),
            caption,
            empty_message(metric),
        );
    }
    let previous = input.previous.map(|p| raw(metric, p));

    // Durations are shown in the unit their largest value reads best in.
    let largest = raws
        .iter()
        .chain(previous.as_ref())
        .flat_map(|r| r.points.iter().flatten().map(|p| p.value))
        .fold(0.0_f64, f64::max);
    let unit = match metric {
        MetricKey::DeploymentFrequency if input.bucket == Bucket::Day => Unit::PerDay,
        MetricKey::DeploymentFrequency => Unit::PerWeek,
        MetricKey::LeadTime | MetricKey::TimeToRestore => Unit::for_durations(largest),
        MetricKey::ChangeFailureRate | MetricKey::ReworkRate => Unit::Percent,
    };
    let factor = match unit {
        Unit::Percent => 100.0,
        Unit::PerDay => 1.0 / 7.0,
        Unit::Minutes | Unit::Hours | Unit::Days => 1.0 / unit.seconds(),
        _ => 1.0,
    };
    let convert = |points: &[Option<Point>]| -> Vec<Option<Point>> {
        points
            .iter()
            .map(|p| {
                p.map(|p| Point {
                    value: p.value * factor,
                    samples: p.samples,
                })
            })
            .collect()
    };
    let series: Vec<Series> = input
        .reports
        .iter()
        .zip(&raws)
        .zip(palette::SERIES.iter().cycle())
        .map(|((r, raw), colour)| Series {
            name: r.name.clone(),
            colour: *colour,
            points: convert(&raw.points),
        })
        .collect();
    let previous = match (input.previous, previous) {
        (Some(p), Some(raw)) if input.reports.len() == 1 && raw.total > 0 => Some(Series {
            name: format!("previous period ({})", format::period(&period_of(p))),
            colour: palette::PREVIOUS,
            points: convert(&raw.points),
        }),
        _ => None,
    };
    let bands = input
        .bands
        .scale(metric)
        .map(|scale| tier_bands(scale, factor))
        .unwrap_or_default();
    let y_label = match metric {
        MetricKey::DeploymentFrequency => capitalised(unit.name()),
        MetricKey::LeadTime => format!("Median lead time ({})", unit.name()),
        MetricKey::ChangeFailureRate => "Change fail rate (% of deployments)".to_string(),
        MetricKey::TimeToRestore => format!("Median recovery time ({})", unit.name()),
        MetricKey::ReworkRate => "Rework rate (% of deployments)".to_string(),
    };
    Chart {
        kind: ChartKind::Metric(metric),
        title: metric.title().to_string(),
        caption,
        unit,
        y_label,
        x_label: x_label(input.bucket).to_string(),
        categories: starts(first)
            .into_iter()
            .map(|d| format::bucket_label(input.bucket, d))
            .collect(),
        body: Body::Lines {
            series,
            previous,
            bands,
            small_sample: input.small_sample,
            partial: partial(first),
        },
        markers: Vec::new(),
    }
}

/// "Deployments per day" from "deployments per day".
fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn x_label(bucket: Bucket) -> &'static str {
    match bucket {
        Bucket::Day => "day",
        Bucket::Week => "week starting",
        Bucket::Month => "month",
        Bucket::Quarter => "quarter",
    }
}

/// The tier bands of a metric's scale, scaled by `factor` into the chart's unit, best tier first.
fn tier_bands(scale: &Scale, factor: f64) -> Vec<Band> {
    let intervals = scale.intervals();
    // `intervals` is in `Tier::ALL` order.
    Tier::ALL
        .into_iter()
        .zip(intervals)
        .filter_map(|(tier, (low, high))| {
            let low = low.map_or(0.0, |e| e.value * factor).max(0.0);
            let high = high.map_or(f64::INFINITY, |e| e.value * factor);
            (high > low).then_some(Band { tier, low, high })
        })
        .collect()
}

fn empty(kind: ChartKind, title: &str, caption: String, message: &str) -> Chart {
    Chart {
        kind,
        title: title.to_string(),
        caption,
        unit: Unit::Count,
        y_label: String::new(),
        x_label: String::new(),
        categories: Vec::new(),
        body: Body::Empty {
            message: message.to_string(),
        },
        markers: Vec::new(),
    }
}

/// The phases of lead time, in the order a change lives them, with their colours.
const PHASES: [(&str, super::model::Rgb); 4] = [
    ("coding", palette::SKY_BLUE),
    ("pickup", palette::ORANGE),
    ("review", palette::REDDISH_PURPLE),
    ("deploy", palette::BLUISH_GREEN),
];

/// Median coding / pickup / review / deploy time per bucket, stacked: the engine's phase figures
/// of each bucket of a report computed with `bucket` (the changes the noise filters leave out are
/// left out there).
pub fn breakdown_chart(report: &MetricsReport, bucket: Bucket) -> Chart {
    let title = "Lead time breakdown";
    let changes = report.lead_time.changes;
    let caption = format!(
        "Median time in each phase {}, {}, {}; {} change{}",
        format::per_bucket(bucket),
        who(std::slice::from_ref(report)),
        format::period(&period_of(report)),
        format::count(changes),
        plural(changes)
    );
    if changes == 0 {
        return empty(
            ChartKind::LeadTimeBreakdown,
            title,
            caption,
            empty_message(MetricKey::LeadTime),
        );
    }
    let series = &report.lead_time.series;
    type Phase = fn(&Breakdown) -> PhaseSummary;
    let phase_of: [Phase; 4] = [|b| b.coding, |b| b.pickup, |b| b.review, |b| b.deploy];
    let raw: Vec<Vec<Option<Point>>> = phase_of
        .iter()
        .map(|f| {
            series
                .iter()
                .map(|p| {
                    let s = f(&p.breakdown?);
                    s.median_seconds.map(|m| Point {
                        value: m as f64,
                        samples: s.count,
                    })
                })
                .collect()
        })
        .collect();
    let tallest = (0..series.len())
        .map(|i| {
            raw.iter()
                .filter_map(|layer| layer[i].map(|p| p.value))
                .sum::<f64>()
        })
        .fold(0.0_f64, f64::max);
    let unit = Unit::for_durations(tallest);
    let layers = PHASES
        .iter()
        .zip(raw)
        .map(|((name, colour), points)| Series {
            name: (*name).to_string(),
            colour: *colour,
            points: points
                .into_iter()
                .map(|p| {
                    p.map(|p| Point {
                        value: p.value / unit.seconds(),
                        samples: p.samples,
                    })
                })
                .collect(),
        })
        .collect();
    Chart {
        kind: ChartKind::LeadTimeBreakdown,
        title: title.to_string(),
        caption,
        unit,
        y_label: format!("Median time per phase ({})", unit.name()),
        x_label: x_label(bucket).to_string(),
        categories: series
            .iter()
            .map(|p| format::bucket_label(bucket, p.start))
            .collect(),
        body: Body::Stacked { layers },
        markers: Vec::new(),
    }
}

/// Upper ends of the lead-time histogram's bins, in seconds, with their labels: sized the way
/// people think about waiting (an hour, half a day, a day, a week, a month).
const BINS: [(f64, &str); 10] = [
    (3_600.0, "< 1 h"),
    (4.0 * 3_600.0, "1–4 h"),
    (12.0 * 3_600.0, "4–12 h"),
    (86_400.0, "12–24 h"),
    (2.0 * 86_400.0, "1–2 d"),
    (4.0 * 86_400.0, "2–4 d"),
    (7.0 * 86_400.0, "4–7 d"),
    (14.0 * 86_400.0, "1–2 w"),
    (30.0 * 86_400.0, "2–4 w"),
    (f64::INFINITY, "> 4 w"),
];

/// How many changes took how long, over fixed human-sized bins; the caption gives the median and
/// the 90th percentile.
pub fn distribution_chart(explained: &Explanation, tz: Tz) -> Chart {
    let period = Period {
        from: explained.from,
        to: explained.to,
    };
    let (start, end) = (period.start(tz), period.end(tz));
    let leads: Vec<f64> = explained
        .changes
        .iter()
        .filter(|c| c.excluded.is_none())
        .filter(|c| start <= c.fact.deployed_at && c.fact.deployed_at < end)
        .map(|c| c.lead_time_seconds as f64)
        .collect();
    let who = if explained.team.is_none() {
        "whole organisation"
    } else {
        explained.name.as_str()
    };
    let summary = summarize(leads.clone());
    let caption = format!(
        "Changes by lead time, {who}, {}; {} change{}{}",
        format::period(&period),
        format::count(leads.len()),
        plural(leads.len()),
        match (summary.median, summary.p90) {
            (Some(m), Some(p)) => format!(
                ", median {}, 90th percentile {}",
                format::duration(m as f64),
                format::duration(p as f64)
            ),
            _ => String::new(),
        }
    );
    let title = "Lead time distribution";
    if leads.is_empty() {
        return empty(
            ChartKind::LeadTimeDistribution,
            title,
            caption,
            empty_message(MetricKey::LeadTime),
        );
    }
    let mut counts = [0usize; BINS.len()];
    for lead in &leads {
        let i = BINS
            .iter()
            .position(|(upper, _)| lead < upper)
            .unwrap_or(BINS.len() - 1);
        counts[i] += 1;
    }
    Chart {
        kind: ChartKind::LeadTimeDistribution,
        title: title.to_string(),
        caption,
        unit: Unit::Count,
        y_label: "Changes".to_string(),
        x_label: "lead time, first commit to production".to_string(),
        categories: BINS.iter().map(|(_, label)| (*label).to_string()).collect(),
        body: Body::Bars {
            series: Series {
                name: "changes".to_string(),
                colour: palette::BLUE,
                points: counts
                    .iter()
                    .map(|&n| {
                        Some(Point {
                            value: n as f64,
                            samples: n,
                        })
                    })
                    .collect(),
            },
        },
        markers: Vec::new(),
    }
}
