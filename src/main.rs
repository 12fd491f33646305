//! The `doraboard` command: parses arguments, sets up logging, and hands each command to the
//! libraries (`engine`, `collector`, `api`) that do the work.

mod commands;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// DORA metrics for engineering leaders: deployment frequency, lead time for changes, change
/// failure rate, time to restore and rework rate, per team and tribe.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        default_value = "doraboard.toml",
        env = "DORABOARD_CONFIG"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the dashboard.
    ///
    /// Example: `doraboard serve --demo` opens a demo organisation with a year of history,
    /// no configuration or token needed.
    Serve {
        /// Seed an in-memory database with the demo organisation and serve it.
        #[arg(long)]
        demo: bool,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000", env = "DORABOARD_ADDR")]
        addr: SocketAddr,
    },
    /// Print the five metrics of a team, a tribe or the whole organisation.
    ///
    /// Example: `doraboard metrics --team loyalty --from 2026-01-01 --to 2026-04-01 --bucket week`
    Metrics {
        /// Team or tribe slug; the whole organisation when left out.
        #[arg(long)]
        team: Option<String>,
        /// First day of the period (YYYY-MM-DD), in the team's time zone.
        #[arg(long)]
        from: String,
        /// Day after the last day of the period (exclusive).
        #[arg(long)]
        to: String,
        /// Add a series: day, week, month or quarter.
        #[arg(long)]
        bucket: Option<String>,
        /// Print the metrics JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Use the demo organisation instead of the configured database.
        #[arg(long)]
        demo: bool,
    },
    /// Show the rows behind a figure: deployments, the changes they shipped, failures and why.
    ///
    /// Example: `doraboard explain deployments --team checkout --from 2026-03-01 --to 2026-04-01`
    Explain {
        #[command(subcommand)]
        what: commands::explain::What,
        /// Use the demo organisation instead of the configured database.
        #[arg(long, global = true)]
        demo: bool,
    },
    /// Create or upgrade the database schema, then exit.
    ///
    /// Example: `DORABOARD_DATABASE_URL=postgres://doraboard@db/doraboard doraboard migrate`
    Migrate,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { demo, addr } => commands::serve::run(&cli.config, demo, addr).await,
        Command::Metrics {
            team,
            from,
            to,
            bucket,
            json,
            demo,
        } => {
            let args = commands::metrics::Args {
                team,
                from,
                to,
                bucket,
                json,
            };
            commands::metrics::run(&cli.config, demo, args).await
        }
        Command::Explain { what, demo } => commands::explain::run(&cli.config, demo, what).await,
        Command::Migrate => commands::migrate(&cli.config).await,
    }
}

/// Human-readable logs on a terminal, JSON lines otherwise (for log collectors); `RUST_LOG` filters.
fn init_tracing() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}
