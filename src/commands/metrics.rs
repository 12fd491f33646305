//! `doraboard metrics`: the five metrics as a table in DORA's two groups (throughput,
//! instability) with the Quick Check score, or as the metrics JSON.

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
    let started = std::time::Instant::now();
    let (config, store) = super::open(config_path, demo).await?;
    let opened = started.elapsed();
    super::something_to_measure(&store, &config).await?;
    let checked = started.elapsed();
    let report =
        engine::query::metrics(&store, &config, args.team.as_deref(), period, bucket).await?;
    let answered = started.elapsed();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    // Where the process's time goes, for `RUST_LOG=doraboard=debug`.
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    tracing::debug!(
        open_ms = ms(opened),
        check_ms = ms(checked - opened),
        answer_ms = ms(answered - checked),
        print_ms = ms(started.elapsed() - answered),
        "metrics answered"
    );
    Ok(())
}

/// A duration as every view shows it ([`engine::present::duration`]); a dash when there is none.
pub fn human_seconds(seconds: Option<i64>) -> String {
    seconds.map_or("-".into(), |s| engine::present::duration(s as f64))
}

/// "1 incident", "2 incidents".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn tier(t: Option<engine::tiers::Tier>) -> String {
    t.map_or("-".into(), |t| t.to_string())
}

/// One metric's line: its figure and the previous one as every view shows them (the engine's
/// `shown`), the trend word, the tier and the sample.
fn line(
    out: &mut String,
    name: &str,
    (now, before): (&Option<String>, Option<&Option<String>>),
    trend: Option<engine::present::Trend>,
    tier: String,
    sample: String,
) {
    let dash = || "-".to_string();
    let now = now.clone().unwrap_or_else(dash);
    let before = before.map_or("no earlier data".to_string(), |b| {
        b.clone().unwrap_or_else(dash)
    });
    let trend = trend.map_or("", |t| t.as_str());
    let _ = writeln!(
        out,
        "{name:<25} {now:>14} {before:>15} {trend:>6} {tier:>7}  {sample}"
    );
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
    let measured = if m.measured_to < m.to {
        format!(", measured up to {} (exclusive)", m.measured_to)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{who}, {} to {} (exclusive){measured}, {}",
        m.from, m.to, m.time_zone
    );
    let _ = writeln!(
        out,
        "{:<25} {:>14} {:>15} {:>6} {:>7}  sample",
        "metric", "now", "previous", "trend", "tier"
    );
    let per_week = |s: &Option<String>| s.as_ref().map(|s| format!("{s}/week"));
    out.push_str("throughput\n");
    let lt = &m.lead_time;
    line(
        &mut out,
        "change lead time (median)",
        (&lt.shown, lt.previous.as_ref().map(|p| &p.shown)),
        lt.trend,
        tier(lt.tier),
        format!(
            "{} (p90 {}), {} excluded",
            count(lt.changes, "change"),
            human_seconds(lt.p90_seconds),
            lt.excluded.total()
        ),
    );
    let df = &m.deployment_frequency;
    let before = df.previous.as_ref().map(|p| per_week(&p.shown));
    line(
        &mut out,
        "deployment frequency",
        (&per_week(&df.shown), before.as_ref()),
        df.trend,
        tier(df.tier),
        format!(
            "{}, {}",
            count(df.deployments, "deployment"),
            count(df.failed_attempts, "failed attempt")
        ),
    );
    let ttr = &m.time_to_restore;
    line(
        &mut out,
        "recovery time (median)",
        (&ttr.shown, ttr.previous.as_ref().map(|p| &p.shown)),
        ttr.trend,
        tier(ttr.tier),
        format!(
            "{}, {}, {} still open",
            count(ttr.incidents, "incident"),
            count(ttr.rollbacks, "rollback"),
            ttr.open_incidents
        ),
    );
    out.push_str("instability\n");
    let cfr = &m.change_failure_rate;
    line(
        &mut out,
        "change fail rate",
        (&cfr.shown, cfr.previous.as_ref().map(|p| &p.shown)),
        cfr.trend,
        tier(cfr.tier),
        format!("{} of {} deployments failed", cfr.failed, cfr.deployments),
    );
    let rr = &m.rework_rate;
    line(
        &mut out,
        "deployment rework rate",
        (&rr.shown, rr.previous.as_ref().map(|p| &p.shown)),
        rr.trend,
        String::new(),
        format!("{} of {} deployments unplanned", rr.rework, rr.deployments),
    );
    out.push_str(&score_line(&m.dora_score));
    out
}

/// The DORA Quick Check score under the table, with its benchmark and source.
fn score_line(s: &engine::score::DoraScore) -> String {
    let b = &s.benchmark;
    let one = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    match s.headline() {
        Some(headline) => {
            let standing = b
                .standing
                .as_ref()
                .and_then(|st| st.text.as_deref())
                .map_or_else(String::new, |t| format!("; {t}"));
            format!(
                "DORA Quick Check score: {headline} ({} edition; throughput {}, stability {}{standing})\n\
                 Source: {}\n",
                b.edition,
                one(s.throughput),
                one(s.stability),
                b.source
            )
        }
        None => format!(
            "DORA Quick Check score: not scored ({})\n",
            s.reason.as_deref().unwrap_or("no data")
        ),
    }
}
