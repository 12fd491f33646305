//! A measured figure as the Quick Check answer it amounts to, and an answer as a 0-10 score.
//!
//! The Quick Check (dora.dev) asks three time-based questions with six answers each (1 worst,
//! 6 best; `metrics_question_responses.json`) and two percentages. doraboard measures the same
//! things, so each measured figure is mapped to the answer a team would give, and the answer is
//! scored by the Quick Check's own rule. Where the answers' words meet (a lead time of exactly one
//! day, a deployment exactly once a week) the rules below decide; `docs/metrics.md` ("Benchmark
//! scores") writes them up with a worked example.

use crate::tiers::{
    DAY_SECONDS, HOUR_SECONDS, MONTH_SECONDS, ONCE_PER_DAY_PER_WEEK, ONCE_PER_MONTH_PER_WEEK,
    ONCE_PER_SIX_MONTHS_PER_WEEK, ONCE_PER_WEEK_PER_WEEK, SIX_MONTHS_SECONDS, WEEK_SECONDS,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// "Once per hour", read like the tiers read "once per day" (once per working day): once per
/// working hour, eight a working day, forty a week.
pub const ONCE_PER_HOUR_PER_WEEK: f64 = 8.0 * ONCE_PER_DAY_PER_WEEK;

/// The worst and the best answer of a time-based question.
pub const WORST_ANSWER: u8 = 1;
pub const BEST_ANSWER: u8 = 6;

/// The answer to "how long from commit to production" (lead time) or "how long to recover from
/// a failed deployment" (failed deployment recovery time) for a duration in seconds.
///
/// Each answer covers `[lower, upper)`: "less than one hour" is strictly less, so a value on a
/// boundary reads as the slower answer (exactly one day is "one day to one week").
pub fn duration_answer(seconds: f64) -> u8 {
    const UPPER: [(f64, u8); 5] = [
        (HOUR_SECONDS, 6),
        (DAY_SECONDS, 5),
        (WEEK_SECONDS, 4),
        (MONTH_SECONDS, 3),
        (SIX_MONTHS_SECONDS, 2),
    ];
    UPPER
        .iter()
        .find(|(upper, _)| seconds < *upper)
        .map_or(WORST_ANSWER, |(_, answer)| *answer)
}

/// The answer to "how often do you deploy" for a rate in deployments per week.
///
/// Each answer covers a rate of at least its lower bound: deploying once per day (once per
/// working day, five a week, as the tiers read it) is "between once per hour and once per day",
/// and at least once per working hour is "on demand (multiple deploys per day)".
pub fn frequency_answer(per_week: f64) -> u8 {
    const LOWER: [(f64, u8); 5] = [
        (ONCE_PER_HOUR_PER_WEEK, 6),
        (ONCE_PER_DAY_PER_WEEK, 5),
        (ONCE_PER_WEEK_PER_WEEK, 4),
        (ONCE_PER_MONTH_PER_WEEK, 3),
        (ONCE_PER_SIX_MONTHS_PER_WEEK, 2),
    ];
    LOWER
        .iter()
        .find(|(lower, _)| per_week >= *lower)
        .map_or(WORST_ANSWER, |(_, answer)| *answer)
}

/// The Quick Check's score of a time-based answer: 1..6 maps linearly onto 0..10, clamped.
pub fn answer_score(answer: f64) -> f64 {
    let a = answer.clamp(f64::from(WORST_ANSWER), f64::from(BEST_ANSWER));
    (a - f64::from(WORST_ANSWER)) / f64::from(BEST_ANSWER - WORST_ANSWER) * 10.0
}

/// The Quick Check's score of a percentage answer (change fail rate, rework rate): 0 % is 10,
/// 100 % is 0, clamped.
pub fn percent_score(percent: f64) -> f64 {
    10.0 - percent.clamp(0.0, 100.0) / 10.0
}

/// The three time-based questions, by their keys in the Quick Check's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    LeadTime,
    DeployFrequency,
    FailureRecovery,
}

impl Question {
    fn key(self) -> &'static str {
        match self {
            Question::LeadTime => "leadtime",
            Question::DeployFrequency => "deployfreq",
            Question::FailureRecovery => "failurerecovery",
        }
    }

    /// The Quick Check's wording of `answer` (1..6).
    pub fn answer_text(self, answer: u8) -> &'static str {
        RESPONSES
            .get(self.key())
            .and_then(|answers| answers.get(&answer))
            .map_or("", String::as_str)
    }
}

const RESPONSES_JSON: &str =
    include_str!("../../data/dora-quick-check/metrics_question_responses.json");

/// question key -> answer -> wording. The file is part of the build; a test reads every answer.
static RESPONSES: LazyLock<BTreeMap<String, BTreeMap<u8, String>>> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct Answers(BTreeMap<u8, String>);
    let parsed: Result<BTreeMap<String, Answers>, _> = serde_json::from_str(RESPONSES_JSON);
    parsed
        .map(|m| m.into_iter().map(|(k, a)| (k, a.0)).collect())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    // The Quick Check's own expectations, from `data-service.test.ts` in dora-team/dora.dev
    // (commit fcaf07b4): "should calculate categorical/percentage performance scores correctly".
    #[test]
    fn the_quick_checks_own_answer_scores() {
        assert_eq!(answer_score(1.0), 0.0);
        assert_eq!(answer_score(6.0), 10.0);
        assert_eq!(answer_score(3.5), 5.0);
        assert_eq!(percent_score(0.0), 10.0);
        assert_eq!(percent_score(100.0), 0.0);
        assert_eq!(percent_score(50.0), 5.0);
    }

    #[test]
    fn scores_are_clamped_like_the_quick_checks_recode() {
        assert_eq!(answer_score(0.0), 0.0);
        assert_eq!(answer_score(7.0), 10.0);
        assert_eq!(percent_score(-5.0), 10.0);
        assert_eq!(percent_score(120.0), 0.0);
    }

    #[test]
    fn every_answer_of_the_three_questions_has_its_wording() {
        for q in [
            Question::LeadTime,
            Question::DeployFrequency,
            Question::FailureRecovery,
        ] {
            for a in WORST_ANSWER..=BEST_ANSWER {
                assert!(!q.answer_text(a).is_empty(), "{q:?} {a}");
            }
        }
        assert_eq!(Question::LeadTime.answer_text(5), "Less than one day");
        assert_eq!(
            Question::DeployFrequency.answer_text(6),
            "On demand (multiple deploys per day)"
        );
    }

    #[test]
    fn twenty_hours_is_less_than_one_day_and_scores_eight() {
        let answer = duration_answer(20.0 * HOUR_SECONDS);
        assert_eq!(answer, 5);
        assert_eq!(answer_score(f64::from(answer)), 8.0);
    }

    #[test]
    fn a_duration_on_a_boundary_reads_as_the_slower_answer() {
        let day = DAY_SECONDS;
        let cases = [
            (0.0, 6),
            (HOUR_SECONDS - 1.0, 6),
            (HOUR_SECONDS, 5),
            (day - 1.0, 5),
            (day, 4),
            (7.0 * day - 1.0, 4),
            (7.0 * day, 3),
            // A month is 52/12 weeks: 30 days 8 hours.
            (30.0 * day, 3),
            (30.0 * day + 8.0 * HOUR_SECONDS - 1.0, 3),
            (30.0 * day + 8.0 * HOUR_SECONDS, 2),
            // Six months are 26 weeks: 182 days.
            (181.0 * day, 2),
            (182.0 * day, 1),
            (400.0 * day, 1),
        ];
        for (seconds, want) in cases {
            assert_eq!(duration_answer(seconds), want, "{seconds} s");
        }
    }

    #[test]
    fn a_frequency_on_a_boundary_reads_as_the_faster_answer() {
        let cases = [
            (200.0, 6),
            (40.0, 6),
            (39.9, 5),
            (5.0, 5),
            (4.9, 4),
            (1.0, 4),
            (0.99, 3),
            // Once per month: 12 in a 52-week year.
            (12.0 / 52.0, 3),
            (11.9 / 52.0, 2),
            // Once every six months: 2 in a 52-week year.
            (2.0 / 52.0, 2),
            (1.9 / 52.0, 1),
            (0.0, 1),
        ];
        for (per_week, want) in cases {
            assert_eq!(frequency_answer(per_week), want, "{per_week} a week");
        }
    }
}
