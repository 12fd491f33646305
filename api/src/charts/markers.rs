//! Annotations on charts: which ones a chart shows ([`engine::annotations`]'s scope rule), and
//! where each one's line falls among the chart's time buckets.

use super::model::{Chart, ChartKind, Marker};
use crate::error::ApiError;
use engine::annotations::{Annotation, for_scopes};
use engine::config::{Config, Scope};
use engine::period::{Bucket, Period, spans};
use engine::store::Store;

/// The annotations of `period` that any of `scopes` shows, by date.
pub async fn for_scopes_of(
    store: &Store,
    config: &Config,
    scopes: &[Scope],
    period: &Period,
) -> Result<Vec<Annotation>, ApiError> {
    let scopes: Vec<&Scope> = scopes.iter().collect();
    for_scopes(store, config, &scopes, period.from, period.to)
        .await
        .map_err(crate::annotations::list_error)
}

/// What of the annotations shapes a picture, for ETags: a chart or report changes with them.
pub fn fingerprint(annotations: &[Annotation]) -> String {
    annotations
        .iter()
        .map(|a| format!("{}|{}|{:?}", a.date, a.title, a.id))
        .collect::<Vec<_>>()
        .join("\u{1e}")
}

/// One marker per annotation dated in `period`, placed in the buckets `bucket` cuts it into:
/// the line stands in the middle of its day within its bucket (a Tuesday in the second weekly
/// bucket of a period starting on a Monday is at 1 + 1.5/7).
pub fn place(annotations: &[Annotation], period: &Period, bucket: Bucket) -> Vec<Marker> {
    let buckets = spans(period, bucket);
    annotations
        .iter()
        .filter_map(|a| {
            let i = buckets.partition_point(|s| s.end <= a.date);
            let span = buckets.get(i).filter(|s| s.start <= a.date)?;
            let offset = (a.date - span.start).num_days() as f64 + 0.5;
            Some(Marker {
                at: i as f64 + offset / span.days() as f64,
                label: a.title.clone(),
            })
        })
        .collect()
}

/// Puts the markers on `chart` when its categories are time buckets of `period` and it has
/// something drawn (an empty chart keeps its message alone; a distribution has no time axis).
pub fn annotate(chart: &mut Chart, annotations: &[Annotation], period: &Period, bucket: Bucket) {
    let over_time = matches!(
        chart.kind,
        ChartKind::Metric(_) | ChartKind::LeadTimeBreakdown
    );
    if over_time && !chart.is_empty() {
        chart.markers = place(annotations, period, bucket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use engine::annotations::{Origin, Reach};

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    fn note(date: NaiveDate, title: &str) -> Annotation {
        Annotation {
            id: None,
            date,
            title: title.to_string(),
            team: None,
            scope: Reach::Own,
            source: Origin::Config,
        }
    }

    #[test]
    fn markers_fall_in_the_middle_of_their_day_within_their_bucket() {
        // Monday 2 March to Monday 30 March 2026: four whole ISO weeks.
        let period = Period {
            from: day(3, 2),
            to: day(3, 30),
        };
        let notes = [
            note(day(3, 2), "first Monday"),
            note(day(3, 10), "New CI system"),
            note(day(3, 29), "last Sunday"),
        ];
        let placed = place(&notes, &period, Bucket::Week);
        let at: Vec<f64> = placed.iter().map(|m| m.at).collect();
        // Week 0, day 0; week 1, day 1 (Tuesday); week 3, day 6.
        assert_eq!(at, [0.5 / 7.0, 1.0 + 1.5 / 7.0, 3.0 + 6.5 / 7.0]);
        assert_eq!(placed[1].label, "New CI system");
        // Months: 10 March is day 9 of March's 31 in the first (partial) bucket of a period
        // from 1 March.
        let quarter = Period {
            from: day(3, 1),
            to: day(6, 1),
        };
        let monthly = place(&notes[1..2], &quarter, Bucket::Month);
        assert_eq!(monthly[0].at, 9.5 / 31.0);
    }

    #[test]
    fn only_charts_over_time_with_something_drawn_get_markers() {
        use super::super::model::{Body, MetricKey, Series, Unit, palette};
        let period = Period {
            from: day(3, 2),
            to: day(3, 30),
        };
        let notes = [note(day(3, 10), "New CI system")];
        let chart = |kind, body| Chart {
            kind,
            title: String::new(),
            caption: String::new(),
            unit: Unit::Count,
            y_label: String::new(),
            x_label: String::new(),
            categories: vec!["a".into(); 4],
            body,
            markers: Vec::new(),
        };
        let bars = Body::Bars {
            series: Series {
                name: String::new(),
                colour: palette::BLUE,
                points: vec![None; 4],
            },
        };
        let empty = Body::Empty {
            message: "nothing".into(),
        };
        let cases = [
            (ChartKind::Metric(MetricKey::LeadTime), bars.clone(), 1),
            (ChartKind::LeadTimeBreakdown, bars.clone(), 1),
            (ChartKind::LeadTimeDistribution, bars, 0),
            (ChartKind::Metric(MetricKey::LeadTime), empty, 0),
        ];
        for (kind, body, expected) in cases {
            let mut c = chart(kind, body);
            annotate(&mut c, &notes, &period, Bucket::Week);
            assert_eq!(c.markers.len(), expected, "{kind:?}");
        }
    }
}
