//! `doraboard digest`: the summary of the last full week or month (or of `--from`/`--to`) sent
//! to the channels of `[digest]` now; a non-zero exit names every channel that failed. For an
//! external scheduler; `serve` sends it on `digest.schedule` by itself (docs/digest.md).

use anyhow::Context;
use api::digest::channels::{Channels, deliver};
use api::digest::{Digest, last_full};
use engine::period::Period;
use std::path::Path;

pub struct Args {
    pub team: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Print the digest instead of sending it.
    pub dry_run: bool,
}

pub async fn run(config_path: &Path, demo: bool, args: Args) -> anyhow::Result<()> {
    let (mut config, store) = super::open(config_path, demo).await?;
    if demo {
        // The demo's data, with the channels of the configuration file.
        config.digest = super::load_config(config_path)?.digest;
    }
    // Channels first: a misconfigured one fails before anything is computed.
    let channels = if args.dry_run {
        None
    } else {
        Some(Channels::from_config(&config.digest)?)
    };
    let period = match (&args.from, &args.to) {
        (Some(from), Some(to)) => {
            let from = Period::parse_date(from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
            let to = Period::parse_date(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
            Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))?
        }
        (None, None) => {
            let today = config
                .now()
                .with_timezone(&config.metrics.time_zone)
                .date_naive();
            last_full(config.digest.period, today)
        }
        _ => anyhow::bail!(
            "--from and --to go together (or leave both out for the last full period)"
        ),
    };
    super::something_to_measure(&store, &config).await?;
    let team = args.team.or_else(|| config.digest.team.clone());
    let scope = config
        .scope(team.as_deref())
        .map_err(|e| anyhow::anyhow!("--team: {e}"))?;
    let report = api::report::build(&store, &config, &scope, period)
        .await
        .context("computing the digest")?;
    let digest = Digest::from_report(&report, config.digest.dashboard_url.as_deref());
    let Some(channels) = channels else {
        print!("{}", digest.text());
        return Ok(());
    };
    let outcomes = deliver(&channels, &channels.all(), &digest, &report).await;
    let mut failed = Vec::new();
    for outcome in outcomes {
        let tries = match outcome.attempts {
            1 => "1 try".to_string(),
            n => format!("{n} tries"),
        };
        match outcome.error {
            None => eprintln!("sent the digest to {} ({tries})", outcome.channel),
            Some(error) => failed.push(format!("{}: {error} ({tries})", outcome.channel)),
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("the digest was not delivered to {}", failed.join("; "));
    }
    Ok(())
}
