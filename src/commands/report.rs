//! `doraboard report`: the executive report as a printable HTML page, or, for a `.png` out-file,
//! the 1920x1080 slide with the same headline.

use anyhow::Context;
use engine::period::Period;
use std::path::{Path, PathBuf};

pub struct Args {
    pub team: Option<String>,
    pub from: String,
    pub to: String,
    pub out: PathBuf,
}

/// What the out-file's extension asks for.
enum Output {
    Html,
    Slide,
}

fn output(path: &Path) -> anyhow::Result<Output> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => Ok(Output::Html),
        Some("png") => Ok(Output::Slide),
        _ => anyhow::bail!(
            "--out {}: expected a .html file (the printable report) or a .png file (the slide)",
            path.display()
        ),
    }
}

pub async fn run(config_path: &Path, demo: bool, args: Args) -> anyhow::Result<()> {
    let from = Period::parse_date(&args.from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = Period::parse_date(&args.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))?;
    let output = output(&args.out)?;
    // The demo ends today, as it does for `serve`, `metrics` and `explain`: one demo clock, so
    // the slide and the dashboard agree on every period.
    let (config, store) = super::open(config_path, demo).await?;
    super::something_to_measure(&store, &config).await?;
    let scope = config
        .scope(args.team.as_deref())
        .map_err(|e| anyhow::anyhow!("--team: {e}"))?;
    let report = api::report::build(&store, &config, &scope, period).await?;
    let bytes = match output {
        Output::Html => api::report::html::render(&report)?.into_bytes(),
        Output::Slide => api::report::slide::render(&report)?,
    };
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {} ({} bytes)", args.out.display(), bytes.len());
    Ok(())
}
