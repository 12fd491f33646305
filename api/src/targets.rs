//! KPI targets: where each team stands against the goals it set in configuration
//! (`targets = { lead_time = "1d", change_failure_rate = 0.10 }`).
//!
//! `GET /api/v1/targets?team=SLUG&from=DATE&to=DATE[&bucket=week]` answers, for a team, that
//! team; for a tribe, each of its teams; without `team`, every team. Each target says which way
//! is good (`at_most` for lead time, failure rate, time to restore and rework rate; `at_least` for
//! deployments per week), the target and the measured value in the same unit, and `met`, `missed`
//! or `no_data`. With a bucket it also counts the buckets in which the target was met — "met in 9
//! of 13 weeks" is what a team lead reads on Monday.
//!
//! The metrics JSON is untouched: standing is computed here from the same [`MetricsReport`] that
//! `GET /api/v1/metrics` answers, so the two can never disagree.

use crate::error::ApiError;
use crate::params::{BucketParam, PeriodParams, Query, TeamParam};
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use engine::config::{Scope, ScopeKind, Targets};
use engine::metric_key::MetricKey;
use engine::metrics::MetricsReport;
use engine::period::Bucket;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(targets))
}

/// The standing of one or more teams for one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetsReport {
    #[schema(value_type = String, format = Date)]
    pub from: chrono::NaiveDate,
    /// Exclusive.
    #[schema(value_type = String, format = Date)]
    pub to: chrono::NaiveDate,
    /// The bucket `buckets_met` counts in, if one was asked for.
    #[schema(value_type = Option<String>, example = "week")]
    pub bucket: Option<Bucket>,
    pub teams: Vec<TeamStanding>,
}

/// One team's targets and how it fares against each.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamStanding {
    pub team: String,
    pub name: String,
    pub tribe: Option<String>,
    /// Empty when the team has set no targets.
    pub targets: Vec<Standing>,
    pub met: usize,
    pub missed: usize,
    /// Targets with no data in the period (for example no incidents to measure restore time on).
    pub no_data: usize,
}

/// Which way is good for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The value must not exceed the target (lead time, failure rate, restore time, rework rate).
    AtMost,
    /// The value must reach the target (deployments per week).
    AtLeast,
}

/// met, missed, or nothing measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Missed,
    NoData,
}

/// One target against the measured figure.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Standing {
    /// A metrics JSON key: `deployment_frequency`, `lead_time`, `change_failure_rate`,
    /// `time_to_restore` or `rework_rate`.
    #[schema(value_type = String)]
    pub metric: MetricKey,
    pub direction: Direction,
    /// `per_week` (deployment frequency), `seconds` (lead time and time to restore, medians) or
    /// `ratio` (0..1, the rates).
    pub unit: &'static str,
    pub target: f64,
    /// The period's figure in `unit`; null when nothing was measured.
    pub value: Option<f64>,
    pub status: Status,
    /// `value` as every view shows it (the metrics JSON's `shown`).
    pub shown: Option<String>,
    /// The previous period's figure and standing: is the team getting closer?
    pub previous_value: Option<f64>,
    pub previous_status: Status,
    /// With a bucket: whole buckets (the period cuts none of their days) with data, and those of
    /// them in which the target was met.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets_measured: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets_met: Option<usize>,
}

/// A target of a team, in the unit of the figure it is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    pub metric: MetricKey,
    pub direction: Direction,
    pub unit: &'static str,
    pub target: f64,
}

/// The goals a team set, in the order of the five metrics.
pub fn goals(targets: &Targets) -> Vec<Goal> {
    let goal = |metric, direction, unit, target: Option<f64>| {
        target.map(|target| Goal {
            metric,
            direction,
            unit,
            target,
        })
    };
    let secs = |d: Option<chrono::Duration>| d.map(|d| d.num_seconds() as f64);
    [
        goal(
            MetricKey::DeploymentFrequency,
            Direction::AtLeast,
            "per_week",
            targets.deployment_frequency,
        ),
        goal(
            MetricKey::LeadTime,
            Direction::AtMost,
            "seconds",
            secs(targets.lead_time),
        ),
        goal(
            MetricKey::ChangeFailureRate,
            Direction::AtMost,
            "ratio",
            targets.change_failure_rate,
        ),
        goal(
            MetricKey::TimeToRestore,
            Direction::AtMost,
            "seconds",
            secs(targets.time_to_restore),
        ),
        goal(
            MetricKey::ReworkRate,
            Direction::AtMost,
            "ratio",
            targets.rework_rate,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl Goal {
    pub fn status(&self, value: Option<f64>) -> Status {
        match value {
            None => Status::NoData,
            Some(v) => {
                let met = match self.direction {
                    Direction::AtMost => v <= self.target,
                    Direction::AtLeast => v >= self.target,
                };
                if met { Status::Met } else { Status::Missed }
            }
        }
    }

    /// The figure of `report` this goal is about (current period).
    fn value(&self, report: &MetricsReport) -> Option<f64> {
        headline(self.metric, report, false)
    }

    fn previous_value(&self, report: &MetricsReport) -> Option<f64> {
        headline(self.metric, report, true)
    }

    /// The per-bucket figures of the series' whole buckets, `None` for buckets with nothing
    /// measured. A bucket the period cuts is left out: a one-day "week" is not a missed week.
    fn bucket_values(&self, report: &MetricsReport) -> Vec<Option<f64>> {
        match self.metric {
            MetricKey::DeploymentFrequency => report
                .deployment_frequency
                .series
                .iter()
                .filter(|p| !p.partial)
                .map(|p| Some(p.per_week))
                .collect(),
            MetricKey::LeadTime => report
                .lead_time
                .series
                .iter()
                .filter(|p| !p.partial)
                .map(|p| p.median_seconds.map(|s| s as f64))
                .collect(),
            MetricKey::ChangeFailureRate => report
                .change_failure_rate
                .series
                .iter()
                .filter(|p| !p.partial)
                .map(|p| p.rate)
                .collect(),
            MetricKey::TimeToRestore => report
                .time_to_restore
                .series
                .iter()
                .filter(|p| !p.partial)
                .map(|p| p.median_seconds.map(|s| s as f64))
                .collect(),
            MetricKey::ReworkRate => report
                .rework_rate
                .series
                .iter()
                .filter(|p| !p.partial)
                .map(|p| p.rate)
                .collect(),
        }
    }
}

/// The headline figure of one metric, in the unit of [`goals`], for the period or the one before.
pub fn headline(metric: MetricKey, report: &MetricsReport, previous: bool) -> Option<f64> {
    macro_rules! pick {
        ($m:ident) => {
            if previous {
                report.$m.previous.as_deref()
            } else {
                Some(&report.$m)
            }
        };
    }
    match metric {
        MetricKey::DeploymentFrequency => pick!(deployment_frequency).map(|m| m.per_week),
        MetricKey::LeadTime => pick!(lead_time).and_then(|m| m.median_seconds.map(|s| s as f64)),
        MetricKey::ChangeFailureRate => pick!(change_failure_rate).and_then(|m| m.rate),
        MetricKey::TimeToRestore => {
            pick!(time_to_restore).and_then(|m| m.median_seconds.map(|s| s as f64))
        }
        MetricKey::ReworkRate => pick!(rework_rate).and_then(|m| m.rate),
    }
}

/// The headline figure of one metric as the metrics JSON shows it.
fn shown(metric: MetricKey, report: &MetricsReport) -> Option<String> {
    match metric {
        MetricKey::DeploymentFrequency => report.deployment_frequency.shown.clone(),
        MetricKey::LeadTime => report.lead_time.shown.clone(),
        MetricKey::ChangeFailureRate => report.change_failure_rate.shown.clone(),
        MetricKey::TimeToRestore => report.time_to_restore.shown.clone(),
        MetricKey::ReworkRate => report.rework_rate.shown.clone(),
    }
}

/// Where `report` (a team's metrics) stands against `targets`.
pub fn standing(targets: &Targets, report: &MetricsReport) -> Vec<Standing> {
    goals(targets)
        .into_iter()
        .map(|goal| {
            let value = goal.value(report);
            let previous_value = goal.previous_value(report);
            let (buckets_measured, buckets_met) = if report.bucket.is_some() {
                let values = goal.bucket_values(report);
                let measured = values.iter().filter(|v| v.is_some()).count();
                let met = values
                    .iter()
                    .filter(|v| goal.status(**v) == Status::Met)
                    .count();
                (Some(measured), Some(met))
            } else {
                (None, None)
            };
            Standing {
                metric: goal.metric,
                direction: goal.direction,
                unit: goal.unit,
                target: goal.target,
                value,
                status: goal.status(value),
                shown: shown(goal.metric, report),
                previous_value,
                previous_status: goal.status(previous_value),
                buckets_measured,
                buckets_met,
            }
        })
        .collect()
}

/// The standing of one team scope, from its metrics report.
pub fn team_standing(scope: &Scope, report: &MetricsReport) -> TeamStanding {
    let targets = standing(&scope.targets, report);
    let count = |s: Status| targets.iter().filter(|t| t.status == s).count();
    TeamStanding {
        team: scope.slug.clone().unwrap_or_default(),
        name: scope.name.clone(),
        tribe: scope.parent.clone(),
        met: count(Status::Met),
        missed: count(Status::Missed),
        no_data: count(Status::NoData),
        targets,
    }
}

/// The team scopes `team` covers: itself, a tribe's teams, or every team.
pub(crate) fn team_scopes(state: &AppState, scope: &Scope) -> Vec<Scope> {
    match scope.kind {
        ScopeKind::Team => vec![scope.clone()],
        ScopeKind::Tribe | ScopeKind::Organisation => state
            .config
            .scopes()
            .into_iter()
            .filter(|s| {
                s.kind == ScopeKind::Team
                    && s.slug
                        .as_ref()
                        .is_some_and(|slug| scope.teams.contains(slug))
            })
            .collect(),
    }
}

/// Each team's standing against its KPI targets.
#[utoipa::path(
    get,
    path = "/api/v1/targets",
    tag = "metrics",
    params(TeamParam, PeriodParams, BucketParam),
    responses(
        (status = 200, description = "Each team's standing against its targets", body = TargetsReport),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
pub async fn targets(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(bucket): Query<BucketParam>,
) -> Result<Json<TargetsReport>, ApiError> {
    let period = dates.period()?;
    let bucket = bucket.bucket(&period)?;
    let scope = crate::routes::scope(&state, &team)?;
    let mut teams = Vec::new();
    for team in team_scopes(&state, &scope) {
        let report =
            engine::query::metrics_for_scope(&state.store, &state.config, &team, period, bucket)
                .await?;
        teams.push(team_standing(&team, &report));
    }
    Ok(Json(TargetsReport {
        from: period.from,
        to: period.to,
        bucket,
        teams,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_is_better_targets_are_met_at_or_under_the_target() {
        let goal = Goal {
            metric: MetricKey::LeadTime,
            direction: Direction::AtMost,
            unit: "seconds",
            target: 86_400.0,
        };
        assert_eq!(goal.status(Some(86_400.0)), Status::Met);
        assert_eq!(goal.status(Some(86_401.0)), Status::Missed);
        assert_eq!(goal.status(None), Status::NoData);
    }

    #[test]
    fn deployment_frequency_target_is_a_floor() {
        let goal = Goal {
            metric: MetricKey::DeploymentFrequency,
            direction: Direction::AtLeast,
            unit: "per_week",
            target: 10.0,
        };
        assert_eq!(goal.status(Some(9.9)), Status::Missed);
        assert_eq!(goal.status(Some(10.0)), Status::Met);
    }

    #[test]
    fn goals_follow_the_metric_order_and_convert_durations_to_seconds() {
        let targets = Targets {
            change_failure_rate: Some(0.1),
            lead_time: Some(chrono::Duration::days(1)),
            ..Targets::default()
        };
        let goals = goals(&targets);
        assert_eq!(goals.len(), 2);
        assert_eq!(goals[0].metric, MetricKey::LeadTime);
        assert_eq!(goals[0].target, 86_400.0);
        assert_eq!(goals[1].metric, MetricKey::ChangeFailureRate);
    }
}
