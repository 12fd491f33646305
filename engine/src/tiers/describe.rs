//! Bands in words: for every metric and tier, the published wording, the threshold doraboard
//! applies and the citation — what the docs and the API show.

use super::published::Citation;
use super::scale::is_empty;
use super::units::*;
use super::{Bands, Edge, Scale, Tier};
use crate::duration::{self, Style};
use crate::metric_key::MetricKey;
use serde::Serialize;

/// One metric and tier of a band set, in words: what the docs and the API show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandDescription {
    /// The band set's name (`2024`, `custom`).
    pub bands: String,
    pub metric: MetricKey,
    pub tier: Tier,
    /// The report's wording for this cell, or the custom bound.
    pub published: String,
    /// The rule doraboard applies, in words: `1d <= lead time <= 1w`.
    pub threshold: String,
    /// The interval's lower end in [`BandDescription::unit`]; `None` = unbounded.
    pub from: Option<Edge>,
    /// The interval's upper end; `None` = unbounded.
    pub to: Option<Edge>,
    /// `per_week`, `seconds` or `rate`.
    pub unit: &'static str,
    /// How the published wording became the threshold, where it took interpretation.
    pub note: Option<&'static str>,
    /// `None` for custom bands.
    pub citation: Option<Citation>,
}

impl Bands {
    /// Why a worse value can rate a better tier under these bands, citing the report: set when a
    /// metric's published point values are not in tier order (2024's change failure rate: high
    /// 20%, medium 10%), `None` otherwise. Shown beside every tier it applies to.
    pub fn non_monotonic_note(&self, metric: MetricKey) -> Option<String> {
        let scale = self.scale(metric)?;
        let Scale::Nearest { .. } = scale else {
            return None;
        };
        let points = scale.points();
        let (better, worse) = Tier::ALL
            .into_iter()
            .zip(Tier::ALL.into_iter().skip(1))
            .find(|(b, w)| points[b.index()] > points[w.index()])?;
        let source = self.publication.map_or_else(
            || format!("the {} bands", self.name),
            |p| format!("{}, {}", p.report, p.location),
        );
        Some(format!(
            "As published, {better} ({}) is a higher rate than {worse} ({}): a higher rate can \
             rate a better tier. Read the rate first. Source: {source}.",
            metric.format(points[better.index()]),
            metric.format(points[worse.index()]),
        ))
    }

    /// Every metric and tier in words, metric by metric, best tier first: the published wording,
    /// the threshold doraboard applies, and the citation.
    pub fn describe(&self) -> Vec<BandDescription> {
        let mut descriptions = Vec::with_capacity(16);
        // A published table's rows are in `MetricKey::RATED` order.
        for (row, metric, scale) in MetricKey::RATED
            .into_iter()
            .enumerate()
            .filter_map(|(row, metric)| Some((row, metric, self.scale(metric)?)))
        {
            let intervals = scale.intervals();
            for tier in Tier::ALL {
                let (from, to) = intervals[tier.index()];
                let mut threshold = describe_interval(metric, from, to);
                if let Scale::Nearest { .. } = scale {
                    let point = scale.points()[tier.index()];
                    threshold.push_str(&format!(
                        " (nearest published value: {})",
                        metric.format(point)
                    ));
                }
                let (published, note, citation) = match self.publication {
                    Some(publication) => {
                        let cell = &publication.cells[row][tier.index()];
                        let citation = Citation {
                            report: publication.report,
                            url: publication.url,
                            location: publication.location,
                            secondary: cell.secondary,
                            read_in: cell.read_in,
                        };
                        (cell.wording.to_string(), cell.note, Some(citation))
                    }
                    None => (custom_wording(metric, tier, from, to), None, None),
                };
                descriptions.push(BandDescription {
                    bands: self.name.clone(),
                    metric,
                    tier,
                    published,
                    threshold,
                    from,
                    to,
                    unit: metric.unit(),
                    note,
                    citation,
                });
            }
        }
        descriptions
    }
}

/// How a custom cell reads where a published one would quote the report.
fn custom_wording(metric: MetricKey, tier: Tier, from: Option<Edge>, to: Option<Edge>) -> String {
    let bound = match (metric, tier) {
        (_, Tier::Low) => return "custom: the rest".to_string(),
        (MetricKey::DeploymentFrequency, _) => {
            from.map(|edge| format!("at least {}", metric.format(edge.value)))
        }
        _ => to.map(|edge| format!("at most {}", metric.format(edge.value))),
    };
    format!("custom: {}", bound.unwrap_or_default())
}

/// An interval in words: `1d <= lead time <= 1w`.
fn describe_interval(metric: MetricKey, lower: Option<Edge>, upper: Option<Edge>) -> String {
    if is_empty(lower, upper) {
        return "never assigned: no value falls in this band".to_string();
    }
    let variable = metric.variable();
    let lower_text = lower.map(|edge| {
        format!(
            "{} {}",
            metric.format(edge.value),
            if edge.inclusive { "<=" } else { "<" }
        )
    });
    let upper_text = upper.map(|edge| {
        format!(
            "{} {}",
            if edge.inclusive { "<=" } else { "<" },
            metric.format(edge.value)
        )
    });
    match (lower_text, upper_text) {
        (None, None) => format!("any {variable}"),
        (Some(lower), None) => format!("{lower} {variable}"),
        (None, Some(upper)) => format!("{variable} {upper}"),
        (Some(lower), Some(upper)) => format!("{lower} {variable} {upper}"),
    }
}

pub(super) fn format_seconds(seconds: f64) -> String {
    if seconds == MONTH_SECONDS {
        return "1 month (30.33d)".to_string();
    }
    if seconds == SIX_MONTHS_SECONDS {
        return "6 months (26w)".to_string();
    }
    duration::format(seconds, Style::Exact)
}

pub(super) fn format_per_week(per_week: f64) -> String {
    if per_week == ON_DEMAND_PER_WEEK {
        "5/week (one per working day)".to_string()
    } else if per_week == ONCE_PER_MONTH_PER_WEEK {
        "12/52 per week (once per month)".to_string()
    } else if per_week == ONCE_PER_SIX_MONTHS_PER_WEEK {
        "2/52 per week (once every six months)".to_string()
    } else {
        format!("{}/week", trim_decimals(per_week, 3))
    }
}

pub(super) fn format_rate(rate: f64) -> String {
    format!("{}%", trim_decimals(rate * 100.0, 2))
}

/// `value` with at most `decimals` decimals and no trailing zeros.
fn trim_decimals(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}
