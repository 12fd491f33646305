//! `doraboard explain`: the rows behind a figure, for a reader who doubts a number.

use super::metrics::human_seconds;
use anyhow::Context;
use clap::{Args, Subcommand};
use engine::period::Period;
use std::path::Path;

#[derive(Debug, Subcommand)]
pub enum What {
    /// Deployments of a period: failed ones with every piece of evidence and why.
    Deployments(Window),
    /// Changes shipped in a period with their lead time and phases, slowest first.
    Changes(Window),
    /// Incidents opened in a period and the deployment each is blamed on, with the reason.
    Incidents(Window),
    /// One deployment: what it shipped, and why it counts as failed or rework.
    Deployment {
        /// The deployment's key (as `explain deployments` lists it).
        key: String,
    },
    /// Everything above for a period, as JSON.
    All(Window),
}

#[derive(Debug, Args)]
pub struct Window {
    /// Team or tribe slug; the whole organisation when left out.
    #[arg(long)]
    team: Option<String>,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    from: String,
    /// Day after the last day (exclusive).
    #[arg(long)]
    to: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// "3 deployments of Payments, 2026-03-01 to 2026-03-31 (times in Europe/Berlin)": what the
/// table lists, how many, and the zone its times are in (the scope's own).
fn heading(count: usize, noun: &str, explained: &engine::explain::Explanation) -> String {
    format!(
        "{count} {noun}{} of {}, {} to {} (times in {})",
        if count == 1 { "" } else { "s" },
        explained.name,
        explained.from,
        explained.to - chrono::Duration::days(1),
        explained.time_zone
    )
}

/// An instant as the scope's local date and time.
fn local(at: engine::model::Timestamp, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

pub async fn run(config_path: &Path, demo: bool, what: What) -> anyhow::Result<()> {
    let (config, store) = super::open(config_path, demo).await?;
    let window = match what {
        What::Deployment { key } => {
            let detail = store
                .deployment_detail(&key)
                .await?
                .with_context(|| format!("no deployment with key `{key}`"))?;
            println!("{}", serde_json::to_string_pretty(&detail)?);
            return Ok(());
        }
        What::Deployments(ref w)
        | What::Changes(ref w)
        | What::Incidents(ref w)
        | What::All(ref w) => w,
    };
    let from = Period::parse_date(&window.from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = Period::parse_date(&window.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))?;
    let scope = config.scope(window.team.as_deref())?;
    let explained =
        engine::explain::explain(&store, &config, &scope, period, engine::explain::Page::ALL)
            .await?;
    let json = window.json || matches!(what, What::All(_));
    match what {
        What::Deployments(_) if json => {
            println!("{}", serde_json::to_string_pretty(&explained.deployments)?)
        }
        What::Changes(_) if json => {
            println!("{}", serde_json::to_string_pretty(&explained.changes)?)
        }
        What::Incidents(_) if json => {
            println!("{}", serde_json::to_string_pretty(&explained.incidents)?)
        }
        What::All(_) => println!("{}", serde_json::to_string_pretty(&explained)?),
        What::Deployments(_) => {
            let rows = &explained.deployments;
            println!("{}", heading(rows.len(), "deployment", &explained));
            println!(
                "{:<16}  {:<28} {:<24} {:<7}  Verdict",
                "Finished", "Deployment", "Repository", "Sha"
            );
            for d in rows {
                let f = &d.fact;
                let verdict = match (f.status, f.failed) {
                    (engine::model::DeploymentStatus::Failure, _) => "attempt failed (not counted)",
                    (_, true) => "FAILED",
                    _ => "ok",
                };
                println!(
                    "{}  {:<28} {:<24} {:<7}  {verdict}",
                    local(f.finished_at, scope.time_zone),
                    f.key,
                    f.repo,
                    &f.sha[..f.sha.len().min(7)]
                );
                for link in &d.failures {
                    println!("    {}: {}", link.kind.as_str(), link.reason);
                }
                for reason in &d.rework_reasons {
                    println!("    rework: {reason}");
                }
            }
        }
        What::Changes(_) => {
            let rows = &explained.changes;
            println!("{}", heading(rows.len(), "change", &explained));
            println!(
                "{:>10}  {:<28} {:>9} {:>9} {:>9} {:>9}  Title",
                "Lead time", "Change", "Coding", "Pickup", "Review", "Deploy"
            );
            for c in rows {
                let f = &c.fact;
                let excluded = c
                    .excluded
                    .map(|e| format!("  (excluded: {e})"))
                    .unwrap_or_default();
                println!(
                    "{:>10}  {:<28} {:>9} {:>9} {:>9} {:>9}  {}{excluded}",
                    human_seconds(Some(c.lead_time_seconds)),
                    f.key,
                    human_seconds(c.coding_seconds),
                    human_seconds(c.pickup_seconds),
                    human_seconds(c.review_seconds),
                    human_seconds(Some(c.deploy_seconds)),
                    f.title
                );
            }
        }
        What::Incidents(_) => {
            let rows = &explained.incidents;
            println!("{}", heading(rows.len(), "incident", &explained));
            println!(
                "{:<16}  {:<14} {:>10}  Blamed on",
                "Opened", "Incident", "Duration"
            );
            for i in rows {
                let resolved = i.incident.resolved_at.map_or("open".to_string(), |r| {
                    human_seconds(Some((r - i.incident.opened_at).num_seconds()))
                });
                println!(
                    "{}  {:<14} {:>10}  {}: {}",
                    local(i.incident.opened_at, scope.time_zone),
                    i.incident.key,
                    resolved,
                    i.deployment.as_deref().unwrap_or("no deployment"),
                    i.reason
                        .as_deref()
                        .unwrap_or("not analysed (no repository)")
                );
            }
        }
        What::Deployment { .. } => {}
    }
    Ok(())
}
