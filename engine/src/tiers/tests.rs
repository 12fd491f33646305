//! The tables' boundaries, hand-checked cell by cell.

use super::*;
use crate::metric_key::MetricKey;

const SECOND: f64 = 1.0;
/// A nudge for deployments per week, far below any meaningful difference.
const NUDGE: f64 = 1e-6;

fn bands(version: &str) -> Bands {
    Bands::published(version).expect("a published table")
}

fn custom_spec() -> CustomBands {
    CustomBands {
        deployment_frequency: [7.0, 1.0, 0.25],
        lead_time: ["1h".into(), "1d".into(), "1w".into()],
        change_failure_rate: [0.05, 0.10, 0.20],
        time_to_restore: ["30m".into(), "4h".into(), "2d".into()],
    }
}

/// Asserts `rate(value) == tier` for each pair, naming the failing value.
fn assert_tiers(rate: impl Fn(f64) -> Tier, cases: &[(f64, Tier)]) {
    for &(value, expected) in cases {
        assert_eq!(rate(value), expected, "value {value}");
    }
}

// --- Tier -----------------------------------------------------------------------------------

#[test]
fn tiers_sort_best_first_and_serialize_lowercase() {
    assert!(Tier::Elite < Tier::High && Tier::High < Tier::Medium && Tier::Medium < Tier::Low);
    assert_eq!(Tier::Medium.as_str(), "medium");
    assert_eq!(Tier::Elite.to_string(), "elite");
    assert_eq!(
        serde_json::to_string(&Tier::High).expect("serializes"),
        "\"high\""
    );
    let low: Tier = serde_json::from_str("\"low\"").expect("deserializes");
    assert_eq!(low, Tier::Low);
}

#[test]
fn unit_constants_agree_with_each_other() {
    assert_eq!(MONTH_SECONDS, 2_620_800.0);
    assert_eq!(SIX_MONTHS_SECONDS, 15_724_800.0);
    assert_eq!(WEEK_SECONDS / MONTH_SECONDS, ONCE_PER_MONTH_PER_WEEK);
    assert_eq!(
        WEEK_SECONDS / SIX_MONTHS_SECONDS,
        ONCE_PER_SIX_MONTHS_PER_WEEK
    );
    assert_eq!(ONCE_PER_DAY_PER_WEEK, ON_DEMAND_PER_WEEK);
}

// --- Published tables -----------------------------------------------------------------------

#[test]
fn every_published_version_resolves_and_latest_is_2024() {
    for version in Bands::PUBLISHED {
        assert_eq!(bands(version).name, version);
    }
    assert_eq!(Bands::latest(), bands("2024"));
    assert_eq!(Bands::published("2022"), None);
    assert_eq!(Bands::published("custom"), None);
}

#[test]
fn deployment_frequency_2021_boundaries() {
    let b = bands("2021");
    assert_tiers(
        |v| b.deployment_frequency(v),
        &[
            (50.0, Tier::Elite),
            (ON_DEMAND_PER_WEEK, Tier::Elite),
            // The gap between once per week and on demand goes to elite.
            (1.0 + NUDGE, Tier::Elite),
            (1.0, Tier::High),
            (1.0 - NUDGE, Tier::High),
            (ONCE_PER_MONTH_PER_WEEK + NUDGE, Tier::High),
            (ONCE_PER_MONTH_PER_WEEK, Tier::High),
            (ONCE_PER_MONTH_PER_WEEK - NUDGE, Tier::Medium),
            (ONCE_PER_SIX_MONTHS_PER_WEEK + NUDGE, Tier::Medium),
            (ONCE_PER_SIX_MONTHS_PER_WEEK, Tier::Medium),
            (ONCE_PER_SIX_MONTHS_PER_WEEK - NUDGE, Tier::Low),
            (0.0, Tier::Low),
        ],
    );
}

#[test]
fn lead_time_2021_boundaries() {
    let b = bands("2021");
    assert_tiers(
        |v| b.lead_time(v),
        &[
            (0.0, Tier::Elite),
            (HOUR_SECONDS, Tier::Elite),
            (DAY_SECONDS - SECOND, Tier::Elite),
            (DAY_SECONDS, Tier::High),
            (DAY_SECONDS + SECOND, Tier::High),
            (WEEK_SECONDS, Tier::High),
            (WEEK_SECONDS + SECOND, Tier::High),
            (MONTH_SECONDS - SECOND, Tier::High),
            (MONTH_SECONDS, Tier::Medium),
            (MONTH_SECONDS + SECOND, Tier::Medium),
            (SIX_MONTHS_SECONDS - SECOND, Tier::Medium),
            (SIX_MONTHS_SECONDS, Tier::Medium),
            (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
        ],
    );
}

#[test]
fn change_failure_rate_2021_boundaries_never_rate_medium() {
    let b = bands("2021");
    assert_tiers(
        |v| b.change_failure_rate(v),
        &[
            (0.0, Tier::Elite),
            (0.15, Tier::Elite),
            (0.155, Tier::Elite),
            (0.16 - 1e-4, Tier::Elite),
            (4.0 / 25.0, Tier::High),
            (0.16 + 1e-4, Tier::High),
            (0.30 - 1e-4, Tier::High),
            (3.0 / 10.0, Tier::High),
            (0.30 + 1e-4, Tier::Low),
            (1.0, Tier::Low),
        ],
    );
    for step in 0..=1000 {
        assert_ne!(
            b.change_failure_rate(f64::from(step) / 1000.0),
            Tier::Medium
        );
    }
}

#[test]
fn time_to_restore_2021_boundaries() {
    let b = bands("2021");
    assert_tiers(
        |v| b.time_to_restore(v),
        &[
            (0.0, Tier::Elite),
            (HOUR_SECONDS - SECOND, Tier::Elite),
            (HOUR_SECONDS, Tier::High),
            (HOUR_SECONDS + SECOND, Tier::High),
            (DAY_SECONDS - SECOND, Tier::High),
            (DAY_SECONDS, Tier::Medium),
            (DAY_SECONDS + SECOND, Tier::Medium),
            (WEEK_SECONDS, Tier::Medium),
            // The gap between one week and six months goes to medium.
            (WEEK_SECONDS + SECOND, Tier::Medium),
            (SIX_MONTHS_SECONDS - SECOND, Tier::Medium),
            (SIX_MONTHS_SECONDS, Tier::Medium),
            (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
        ],
    );
}

#[test]
fn deployment_frequency_2023_and_2024_boundaries() {
    for version in ["2023", "2024"] {
        let b = bands(version);
        assert_tiers(
            |v| b.deployment_frequency(v),
            &[
                (ON_DEMAND_PER_WEEK + NUDGE, Tier::Elite),
                (ON_DEMAND_PER_WEEK, Tier::Elite),
                (ON_DEMAND_PER_WEEK - NUDGE, Tier::High),
                (1.0 + NUDGE, Tier::High),
                (1.0, Tier::High),
                (1.0 - NUDGE, Tier::Medium),
                (ONCE_PER_MONTH_PER_WEEK + NUDGE, Tier::Medium),
                (ONCE_PER_MONTH_PER_WEEK, Tier::Medium),
                (ONCE_PER_MONTH_PER_WEEK - NUDGE, Tier::Low),
                (ONCE_PER_SIX_MONTHS_PER_WEEK, Tier::Low),
                (0.0, Tier::Low),
            ],
        );
    }
}

#[test]
fn lead_time_2023_and_2024_boundaries() {
    for version in ["2023", "2024"] {
        let b = bands(version);
        assert_tiers(
            |v| b.lead_time(v),
            &[
                (0.0, Tier::Elite),
                (DAY_SECONDS - SECOND, Tier::Elite),
                (DAY_SECONDS, Tier::High),
                (DAY_SECONDS + SECOND, Tier::High),
                (WEEK_SECONDS - SECOND, Tier::High),
                (WEEK_SECONDS, Tier::High),
                (WEEK_SECONDS + SECOND, Tier::Medium),
                (MONTH_SECONDS - SECOND, Tier::Medium),
                (MONTH_SECONDS, Tier::Medium),
                (MONTH_SECONDS + SECOND, Tier::Low),
                (SIX_MONTHS_SECONDS, Tier::Low),
                (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
            ],
        );
    }
}

#[test]
fn change_failure_rate_2023_nearest_published_value() {
    let b = bands("2023");
    assert_tiers(
        |v| b.change_failure_rate(v),
        &[
            (0.0, Tier::Elite),
            (0.05, Tier::Elite),
            (0.075, Tier::Elite), // halfway between 5% and 10%: the better tier
            (0.0751, Tier::High),
            (0.10, Tier::High),
            (0.125, Tier::High), // halfway between 10% and 15%
            (0.1251, Tier::Medium),
            (0.15, Tier::Medium),
            (0.395, Tier::Medium), // halfway between 15% and 64%
            (0.3951, Tier::Low),
            (0.64, Tier::Low),
            (1.0, Tier::Low),
        ],
    );
}

#[test]
fn time_to_restore_2023_boundaries() {
    let b = bands("2023");
    assert_tiers(
        |v| b.time_to_restore(v),
        &[
            (0.0, Tier::Elite),
            (HOUR_SECONDS - SECOND, Tier::Elite),
            (HOUR_SECONDS, Tier::High),
            (DAY_SECONDS - SECOND, Tier::High),
            (DAY_SECONDS, Tier::Medium),
            (WEEK_SECONDS, Tier::Medium),
            // The gap between one week and one month goes to medium.
            (WEEK_SECONDS + SECOND, Tier::Medium),
            (MONTH_SECONDS - SECOND, Tier::Medium),
            (MONTH_SECONDS, Tier::Low),
            (SIX_MONTHS_SECONDS, Tier::Low),
            (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
        ],
    );
}

#[test]
fn change_failure_rate_2024_keeps_the_inverted_high_and_medium_values() {
    let b = bands("2024");
    assert_tiers(
        |v| b.change_failure_rate(v),
        &[
            (0.0, Tier::Elite),
            (0.05, Tier::Elite),
            (0.075, Tier::Elite), // halfway between elite's 5% and medium's 10%
            (0.0751, Tier::Medium),
            (0.10, Tier::Medium),
            (0.12, Tier::Medium),
            (0.1499, Tier::Medium),
            (3.0 / 20.0, Tier::High), // halfway between medium's 10% and high's 20%
            (0.16, Tier::High),
            (0.20, Tier::High),
            (0.30, Tier::High), // halfway between high's 20% and low's 40%
            (0.3001, Tier::Low),
            (0.40, Tier::Low),
            (1.0, Tier::Low),
        ],
    );
}

#[test]
fn time_to_restore_2024_boundaries() {
    let b = bands("2024");
    assert_tiers(
        |v| b.time_to_restore(v),
        &[
            (0.0, Tier::Elite),
            (HOUR_SECONDS - SECOND, Tier::Elite),
            (HOUR_SECONDS, Tier::High),
            (HOUR_SECONDS + SECOND, Tier::High),
            (DAY_SECONDS - SECOND, Tier::High),
            // High and medium are both "less than one day": the gap up to a week is medium.
            (DAY_SECONDS, Tier::Medium),
            (DAY_SECONDS + SECOND, Tier::Medium),
            (WEEK_SECONDS - SECOND, Tier::Medium),
            (WEEK_SECONDS, Tier::Low),
            (WEEK_SECONDS + SECOND, Tier::Low),
            (MONTH_SECONDS, Tier::Low),
            (MONTH_SECONDS + SECOND, Tier::Low),
        ],
    );
}

#[test]
fn nan_rates_low_on_every_scale() {
    for version in Bands::PUBLISHED {
        let b = bands(version);
        for metric in MetricKey::RATED {
            assert_eq!(
                b.rate(metric, f64::NAN),
                Some(Tier::Low),
                "{version} {metric}"
            );
        }
    }
}

// --- Descriptions ---------------------------------------------------------------------------

#[test]
fn only_a_column_out_of_tier_order_carries_a_note_citing_the_report() {
    let latest = Bands::published("2024").expect("2024");
    let note = latest
        .non_monotonic_note(MetricKey::ChangeFailureRate)
        .expect("2024's change failure rate is not monotonic");
    assert!(
        note.starts_with("As published, high (20%) is a higher rate than medium (10%)"),
        "{note}"
    );
    assert!(note.contains("Source: "), "{note}");
    assert_eq!(latest.non_monotonic_note(MetricKey::LeadTime), None);
    let monotonic = Bands::published("2023").expect("2023");
    assert_eq!(
        monotonic.non_monotonic_note(MetricKey::ChangeFailureRate),
        None
    );
}

#[test]
fn every_published_cell_is_described_and_cited() {
    for version in Bands::PUBLISHED {
        let descriptions = bands(version).describe();
        assert_eq!(descriptions.len(), 16);
        for d in &descriptions {
            let citation = d.citation.expect("published cells are cited");
            assert!(!d.published.is_empty());
            assert!(citation.url.starts_with("https://dora.dev/research/"));
            assert!(
                !citation.read_in.is_empty(),
                "{version} {} {}",
                d.metric,
                d.tier
            );
            if !citation.secondary {
                assert!(
                    citation
                        .read_in
                        .iter()
                        .any(|source| source.kind == SourceKind::Primary),
                    "a cell not marked secondary needs a primary source"
                );
            }
        }
    }
}

#[test]
fn descriptions_state_the_thresholds_used() {
    let find = |b: &Bands, metric: MetricKey, tier: Tier| {
        b.describe()
            .into_iter()
            .find(|d| d.metric == metric && d.tier == tier)
            .expect("described")
    };
    let b2024 = bands("2024");
    let medium = find(&b2024, MetricKey::ChangeFailureRate, Tier::Medium);
    assert_eq!(medium.published, "10%");
    assert_eq!(
        medium.threshold,
        "7.5% < rate < 15% (nearest published value: 10%)"
    );
    let high = find(&b2024, MetricKey::ChangeFailureRate, Tier::High);
    assert_eq!(
        high.threshold,
        "15% <= rate <= 30% (nearest published value: 20%)"
    );
    assert_eq!(
        find(&b2024, MetricKey::DeploymentFrequency, Tier::Elite).threshold,
        "5/week (one per working day) <= deployments per week"
    );
    assert_eq!(
        find(&b2024, MetricKey::LeadTime, Tier::High).threshold,
        "1d <= lead time <= 1w"
    );
    assert_eq!(
        find(&b2024, MetricKey::TimeToRestore, Tier::Low).threshold,
        "1w <= restore time"
    );
    let b2021 = bands("2021");
    assert_eq!(
        find(&b2021, MetricKey::ChangeFailureRate, Tier::Medium).threshold,
        "never assigned: no value falls in this band"
    );
    assert_eq!(
        find(&b2021, MetricKey::DeploymentFrequency, Tier::Medium).threshold,
        "2/52 per week (once every six months) <= deployments per week < 12/52 per week (once per month)"
    );
    assert_eq!(
        find(&b2021, MetricKey::LeadTime, Tier::Medium).threshold,
        "1 month (30.33d) <= lead time <= 6 months (26w)"
    );
}

/// The described intervals and the rating agree: every sampled value falls in the interval of
/// the tier it is rated.
#[test]
fn described_intervals_contain_the_values_they_rate() {
    let mut all = Bands::PUBLISHED.map(bands).to_vec();
    all.push(Bands::custom(&custom_spec()).expect("valid"));
    let contains = |from: Option<Edge>, to: Option<Edge>, v: f64| {
        from.is_none_or(|edge| edge.admits_above(v)) && to.is_none_or(|edge| edge.admits_below(v))
    };
    for b in &all {
        let descriptions = b.describe();
        for metric in MetricKey::RATED {
            let samples: Vec<f64> = match metric {
                MetricKey::DeploymentFrequency => {
                    (0..=2000).map(|i| f64::from(i) / 100.0).collect()
                }
                MetricKey::ChangeFailureRate | MetricKey::ReworkRate => {
                    (0..=1000).map(|i| f64::from(i) / 1000.0).collect()
                }
                MetricKey::LeadTime | MetricKey::TimeToRestore => (0..=400)
                    .map(|i| f64::from(i) * 43_200.0)
                    .chain([HOUR_SECONDS, DAY_SECONDS, WEEK_SECONDS, MONTH_SECONDS])
                    .collect(),
            };
            for v in samples {
                let tier = b.rate(metric, v).expect("a rated metric");
                let d = descriptions
                    .iter()
                    .find(|d| d.metric == metric && d.tier == tier)
                    .expect("described");
                assert!(
                    contains(d.from, d.to, v),
                    "{} {metric}: {v} rated {tier} but outside {}",
                    b.name,
                    d.threshold
                );
            }
        }
    }
}

#[test]
fn bands_serialize_with_their_rules() {
    let json = serde_json::to_value(bands("2024")).expect("serializes");
    assert_eq!(json["name"], "2024");
    assert_eq!(json["change_failure_rate"]["rule"], "nearest");
    assert_eq!(json["change_failure_rate"]["high"], 0.20);
    assert_eq!(json["lead_time"]["rule"], "upper_bounds");
    assert_eq!(json["lead_time"]["elite"]["value"], DAY_SECONDS);
    assert_eq!(json["lead_time"]["elite"]["inclusive"], false);
    assert_eq!(json["deployment_frequency"]["rule"], "lower_bounds");
}

// --- Custom bands ---------------------------------------------------------------------------

#[test]
fn custom_bands_are_inclusive_on_the_better_side() {
    let b = Bands::custom(&custom_spec()).expect("valid");
    assert_eq!(b.name, "custom");
    assert_tiers(
        |v| b.deployment_frequency(v),
        &[
            (7.0, Tier::Elite),
            (7.0 - NUDGE, Tier::High),
            (1.0, Tier::High),
            (1.0 - NUDGE, Tier::Medium),
            (0.25, Tier::Medium),
            (0.25 - NUDGE, Tier::Low),
        ],
    );
    assert_tiers(
        |v| b.lead_time(v),
        &[
            (HOUR_SECONDS, Tier::Elite),
            (HOUR_SECONDS + SECOND, Tier::High),
            (DAY_SECONDS, Tier::High),
            (DAY_SECONDS + SECOND, Tier::Medium),
            (WEEK_SECONDS, Tier::Medium),
            (WEEK_SECONDS + SECOND, Tier::Low),
        ],
    );
    assert_tiers(
        |v| b.change_failure_rate(v),
        &[
            (0.05, Tier::Elite),
            (0.0501, Tier::High),
            (0.10, Tier::High),
            (0.1001, Tier::Medium),
            (0.20, Tier::Medium),
            (0.2001, Tier::Low),
        ],
    );
    assert_tiers(
        |v| b.time_to_restore(v),
        &[
            (1_800.0, Tier::Elite),
            (1_801.0, Tier::High),
            (4.0 * HOUR_SECONDS, Tier::High),
            (4.0 * HOUR_SECONDS + SECOND, Tier::Medium),
            (2.0 * DAY_SECONDS, Tier::Medium),
            (2.0 * DAY_SECONDS + SECOND, Tier::Low),
        ],
    );
    let described = b.describe();
    assert!(described.iter().all(|d| d.citation.is_none()));
    assert_eq!(described[0].published, "custom: at least 7/week");
    assert_eq!(described[5].published, "custom: at most 1d");
    assert_eq!(described[3].published, "custom: the rest");
}

#[test]
fn custom_bands_allow_equal_bounds() {
    let mut spec = custom_spec();
    spec.lead_time = ["1d".into(), "1d".into(), "1w".into()];
    let b = Bands::custom(&spec).expect("equal bounds leave high empty but are allowed");
    assert_eq!(b.lead_time(DAY_SECONDS), Tier::Elite);
    assert_eq!(b.lead_time(DAY_SECONDS + SECOND), Tier::Medium);
}

#[test]
fn custom_bands_name_the_key_of_a_bad_duration() {
    let mut spec = custom_spec();
    spec.lead_time[1] = "2x".into();
    let error = Bands::custom(&spec).expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "metrics.custom_tiers.lead_time: `2x` is not a duration (expected e.g. 30m, 12h, 7d, 2w)"
    );
    assert_eq!(error.key(), "metrics.custom_tiers.lead_time");
    assert_eq!(error.field(), "lead_time");

    let mut spec = custom_spec();
    spec.time_to_restore[2] = "".into();
    let error = Bands::custom(&spec).expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "metrics.custom_tiers.time_to_restore: `` is not a duration (expected e.g. 30m, 12h, 7d, 2w)"
    );
}

#[test]
fn custom_bands_name_the_key_of_bounds_out_of_order() {
    let mut spec = custom_spec();
    spec.lead_time = ["1w".into(), "1d".into(), "30d".into()];
    assert_eq!(
        Bands::custom(&spec).expect_err("invalid").to_string(),
        "metrics.custom_tiers.lead_time: maximum durations must not decrease from elite to medium, \
         got [1w, 1d, 30d]"
    );

    let mut spec = custom_spec();
    spec.time_to_restore = ["1h".into(), "1d".into(), "12h".into()];
    assert_eq!(
        Bands::custom(&spec).expect_err("invalid").key(),
        "metrics.custom_tiers.time_to_restore"
    );

    let mut spec = custom_spec();
    spec.deployment_frequency = [1.0, 5.0, 0.25];
    assert_eq!(
        Bands::custom(&spec).expect_err("invalid").to_string(),
        "metrics.custom_tiers.deployment_frequency: minimum deployments per week must not increase \
         from elite to medium, got [1, 5, 0.25]"
    );

    let mut spec = custom_spec();
    spec.change_failure_rate = [0.15, 0.10, 0.30];
    assert_eq!(
        Bands::custom(&spec).expect_err("invalid").to_string(),
        "metrics.custom_tiers.change_failure_rate: maximum rates must not decrease from elite to \
         medium, got [0.15, 0.1, 0.3]"
    );
}

#[test]
fn custom_bands_name_the_key_and_tier_of_a_bad_number() {
    let mut spec = custom_spec();
    spec.change_failure_rate = [5.0, 10.0, 15.0];
    assert_eq!(
        Bands::custom(&spec).expect_err("invalid").to_string(),
        "metrics.custom_tiers.change_failure_rate: the elite bound `5` is not a rate (expected a \
         fraction between 0 and 1, e.g. 0.15 for 15%)"
    );

    let mut spec = custom_spec();
    spec.deployment_frequency = [7.0, -1.0, 0.25];
    assert_eq!(
        Bands::custom(&spec).expect_err("invalid").to_string(),
        "metrics.custom_tiers.deployment_frequency: the high bound `-1` is not a number of \
         deployments per week (expected a finite number >= 0)"
    );

    let mut spec = custom_spec();
    spec.deployment_frequency = [7.0, 1.0, f64::NAN];
    let error = Bands::custom(&spec).expect_err("invalid");
    assert_eq!(error.key(), "metrics.custom_tiers.deployment_frequency");
    assert!(error.to_string().contains("the medium bound `NaN`"));
}

#[test]
fn custom_bands_deserialize_from_toml_and_refuse_unknown_keys() {
    let spec: CustomBands = toml::from_str(
        r#"
        deployment_frequency = [7, 1, 0.25]
        lead_time = ["1h", "1d", "1w"]
        change_failure_rate = [0.05, 0.10, 0.20]
        time_to_restore = ["30m", "4h", "2d"]
        "#,
    )
    .expect("valid TOML");
    assert_eq!(spec, custom_spec());

    let unknown = toml::from_str::<CustomBands>(
        r#"
        deployment_frequency = [7, 1, 0.25]
        lead_time = ["1h", "1d", "1w"]
        change_failure_rate = [0.05, 0.10, 0.20]
        time_to_restore = ["30m", "4h", "2d"]
        rework_rate = [0.01, 0.02, 0.03]
        "#,
    );
    assert!(unknown.is_err());
    let short = toml::from_str::<CustomBands>(
        r#"
        deployment_frequency = [7, 1]
        lead_time = ["1h", "1d", "1w"]
        change_failure_rate = [0.05, 0.10, 0.20]
        time_to_restore = ["30m", "4h", "2d"]
        "#,
    );
    assert!(short.is_err());
}
