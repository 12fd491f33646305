//! `doraboard metrics`: the five metrics as a table, or as the metrics JSON.

use engine::metrics::MetricsReport;
use engine::period::Period;
use std::fmt::Write;
use std::path::Path;

pub struct Args {
    pub team: Option<String>,
    pub from: String,
    pub to: String,
    pub bucket: Option<String>,
    pub json: bool,
}

pub async fn run(config_path: &Path, demo: bool, args: Args) -> anyhow::Result<()> {
    let from = Period::parse_date(&args.from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = Period::parse_date(&args.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))?;
    let bucket = match &args.bucket {
        Some(b) => Some(
            b.parse()
                .map_err(|e: String| anyhow::anyhow!("--bucket: {e}"))?,
        ),
        None => None,
    };
    let (config, store) = super::open(config_path, demo).await?;
    let report =
        engine::query::metrics(&store, &config, args.team.as_deref(), period, bucket).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

/// A duration in the unit a person would say it in.
pub fn human_seconds(seconds: Option<i64>) -> String {
    let Some(s) = seconds else {
        return "-".into();
    };
    let s = s as f64;
    if s < 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 2.0 * 86400.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86400.0)
    }
}

/// "1 incident", "2 incidents".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".into(), |r| format!("{:.1} %", r * 100.0))
}

fn tier(t: Option<engine::tiers::Tier>) -> String {
    t.map_or("-".into(), |t| t.to_string())
}

/// The readable table: one line per metric, with its sample, the previous period and the tier.
pub fn table(m: &MetricsReport) -> String {
    let mut out = String::new();
    let who = m
        .team
        .as_deref()
        .map_or("the organisation".to_string(), |t| {
            format!("{} ({t})", m.name)
        });
    let _ = writeln!(
        out,
        "{who}, {} to {} (exclusive), {}",
        m.from, m.to, m.time_zone
    );
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>10}  sample",
        "metric", "now", "previous", "tier"
    );
    let df = &m.deployment_frequency;
    let prev_df = df
        .previous
        .as_ref()
        .map(|p| format!("{:.2}/week", p.per_week))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>10}  {}, {}",
        "deployment frequency",
        format!("{:.2}/week", df.per_week),
        prev_df,
        tier(df.tier),
        count(df.deployments, "deployment"),
        count(df.failed_attempts, "failed attempt")
    );
    let lt = &m.lead_time;
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>10}  {} (p90 {}), {} excluded",
        "lead time (median)",
        human_seconds(lt.median_seconds),
        lt.previous
            .as_ref()
            .map(|p| human_seconds(p.median_seconds))
            .unwrap_or_default(),
        tier(lt.tier),
        count(lt.changes, "change"),
        human_seconds(lt.p90_seconds),
        lt.excluded.total()
    );
    let cfr = &m.change_failure_rate;
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>10}  {} of {} deployments failed",
        "change failure rate",
        percent(cfr.rate),
        cfr.previous
            .as_ref()
            .map(|p| percent(p.rate))
            .unwrap_or_default(),
        tier(cfr.tier),
        cfr.failed,
        cfr.deployments
    );
    let ttr = &m.time_to_restore;
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>10}  {}, {}, {} still open",
        "time to restore (median)",
        human_seconds(ttr.median_seconds),
        ttr.previous
            .as_ref()
            .map(|p| human_seconds(p.median_seconds))
            .unwrap_or_default(),
        tier(ttr.tier),
        count(ttr.incidents, "incident"),
        count(ttr.rollbacks, "rollback"),
        ttr.open_incidents
    );
    let rr = &m.rework_rate;
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>10}  {} of {} deployments unplanned",
        "rework rate",
        percent(rr.rate),
        rr.previous
            .as_ref()
            .map(|p| percent(p.rate))
            .unwrap_or_default(),
        "",
        rr.rework,
        rr.deployments
    );
    out
}
