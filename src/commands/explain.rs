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
            for d in &explained.deployments {
                let f = &d.fact;
                let verdict = match (f.status, f.failed) {
                    (engine::model::DeploymentStatus::Failure, _) => "attempt failed (not counted)",
                    (_, true) => "FAILED",
                    _ => "ok",
                };
                println!(
                    "{}  {:<28} {:<24} {}  {verdict}",
                    f.finished_at.format("%Y-%m-%d %H:%M"),
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
            for c in &explained.changes {
                let f = &c.fact;
                let excluded = c
                    .excluded
                    .map(|e| format!("  (excluded: {e})"))
                    .unwrap_or_default();
                println!(
                    "{:>10}  {:<28} coding {:>9} pickup {:>9} review {:>9} deploy {:>9}  {}{excluded}",
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
            for i in &explained.incidents {
                let resolved = i.incident.resolved_at.map_or("open".to_string(), |r| {
                    human_seconds(Some((r - i.incident.opened_at).num_seconds()))
                });
                println!(
                    "{}  {:<14} {:>10}  blamed on {}: {}",
                    i.incident.opened_at.format("%Y-%m-%d %H:%M"),
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
