//! The `doraboard` command: parses arguments, sets up logging, and hands each command to the
//! libraries (`engine`, `collector`, `api`) that do the work.

mod commands;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// jemalloc rather than the system's allocator, for SQLite's allocations too: an import
/// allocates and frees millions of small values (parsed events, bound parameters, SQLite's
/// records), and glibc's allocator, locking an arena on each call, took a fifth of the 100k
/// import's CPU time; with jemalloc the import takes 30 % less time (docs/analytics.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        #[arg(long, default_value = "127.0.0.1:3000", env = "DORABOARD_ADDR", value_parser = listen_addr)]
        addr: SocketAddr,
    },
    /// Sync every configured repository from GitHub once, then exit (for cron jobs); non-zero
    /// exit when a repository failed. Needs the token named by `github.token_env`.
    ///
    /// Example: `GITHUB_TOKEN=... doraboard collect --since 2026-01-01` (docs/collector.md)
    Collect {
        /// How far back the history reaches (YYYY-MM-DD); default `collector.since`. Earlier
        /// than before, the older history is fetched too.
        #[arg(long)]
        since: Option<String>,
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
    /// Load generic events (changes, deployments, incidents) from an NDJSON or CSV file.
    ///
    /// CSV files start with a header row of field names. All or nothing: one bad line loads
    /// nothing and is reported with its number; loading a file again changes nothing.
    ///
    /// Example: `doraboard import deployments.ndjson` (schema: docs/events.md)
    Import {
        /// The file: `.ndjson` / `.jsonl` / `.json`, or `.csv` (other names: sniffed).
        file: PathBuf,
    },
    /// Rebuild the records from the raw event log of received webhooks and events.
    ///
    /// For a changed mapping (`[pagerduty] services`) or definitions; every repository is
    /// reanalyzed afterwards.
    ///
    /// Example: add a service to `[pagerduty] services`, then `doraboard replay`
    Replay,
    /// Add an annotation: a dated note drawn on the charts of its scope and listed on the
    /// dashboard and in the report (docs/annotations.md).
    ///
    /// Example: `doraboard annotate --date 2026-03-10 --title "New CI system" --team checkout`
    Annotate {
        /// The day it marks (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// One line, at most 80 characters.
        #[arg(long)]
        title: String,
        /// Team or tribe slug; the whole organisation when left out.
        #[arg(long)]
        team: Option<String>,
        /// Also show a team's annotation on its tribe's and the organisation's charts (a
        /// tribe's on the organisation's).
        #[arg(long)]
        inherit: bool,
    },
    /// List the annotations of a period (those of `[[annotations]]` too), or remove one.
    ///
    /// Example: `doraboard annotations --team checkout --from 2026-01-01 --to 2026-04-01`;
    /// `doraboard annotations --remove 3`
    Annotations {
        /// Only those the charts of this team or tribe show; every annotation when left out.
        #[arg(long)]
        team: Option<String>,
        /// First day of the period (YYYY-MM-DD).
        #[arg(long, default_value = "1970-01-01")]
        from: String,
        /// Day after the last day of the period (exclusive).
        #[arg(long, default_value = "9999-01-01")]
        to: String,
        /// Remove the stored annotation with this id instead of listing.
        #[arg(long, conflicts_with_all = ["team", "json"])]
        remove: Option<i64>,
        /// Print JSON, as `GET /api/v1/annotations` answers.
        #[arg(long)]
        json: bool,
    },
    /// Write the executive report: a printable HTML page, or for a `.png` out-file the
    /// 1920x1080 slide with the same headline.
    ///
    /// Example: `doraboard report --from 2026-07-01 --to 2026-10-01 --out q3.html`
    Report {
        /// Team or tribe slug; the whole organisation when left out.
        #[arg(long)]
        team: Option<String>,
        /// First day of the period (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Day after the last day of the period (exclusive).
        #[arg(long)]
        to: String,
        /// The file to write: `.html` (the report) or `.png` (the slide).
        #[arg(long)]
        out: PathBuf,
        /// Use the demo organisation (its year ending today) instead of the configured database.
        #[arg(long)]
        demo: bool,
    },
    /// Send the digest (the five figures, their trends, the biggest improvement and risk, a
    /// link to the report) of the last full week or month to the channels of `[digest]`;
    /// non-zero exit when a channel failed.
    ///
    /// Example: `doraboard digest --team checkout` (docs/digest.md)
    Digest {
        /// Team or tribe slug; default `digest.team`, else the whole organisation.
        #[arg(long)]
        team: Option<String>,
        /// First day of the period (YYYY-MM-DD); default: the last full period.
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Day after the last day of the period (exclusive).
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Print the digest instead of sending it.
        #[arg(long)]
        dry_run: bool,
        /// Use the demo organisation (its year ending today), with the channels of the
        /// configuration file.
        #[arg(long)]
        demo: bool,
    },
}

/// `--addr`: an IP and port, or a host name and port (`localhost:3000`) resolved to its first
/// address.
fn listen_addr(value: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    value
        .to_socket_addrs()
        .map_err(|e| format!("expected HOST:PORT, e.g. 127.0.0.1:3000 or localhost:3000 ({e})"))?
        .next()
        .ok_or_else(|| format!("{value} resolves to no address"))
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
        Command::Collect { since } => {
            commands::collect::run(&cli.config, commands::collect::Args { since }).await
        }
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
        Command::Import { file } => commands::import::run(&cli.config, &file).await,
        Command::Replay => commands::replay::run(&cli.config).await,
        Command::Annotate {
            date,
            title,
            team,
            inherit,
        } => {
            let args = commands::annotate::AddArgs {
                date,
                title,
                team,
                inherit,
            };
            commands::annotate::add(&cli.config, args).await
        }
        Command::Annotations {
            team,
            from,
            to,
            remove,
            json,
        } => {
            let args = commands::annotate::ListArgs {
                team,
                from,
                to,
                remove,
                json,
            };
            commands::annotate::list(&cli.config, args).await
        }
        Command::Report {
            team,
            from,
            to,
            out,
            demo,
        } => {
            let args = commands::report::Args {
                team,
                from,
                to,
                out,
            };
            commands::report::run(&cli.config, demo, args).await
        }
        Command::Digest {
            team,
            from,
            to,
            dry_run,
            demo,
        } => {
            let args = commands::digest::Args {
                team,
                from,
                to,
                dry_run,
            };
            commands::digest::run(&cli.config, demo, args).await
        }
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
