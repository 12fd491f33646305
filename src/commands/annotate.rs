//! `doraboard annotate` and `doraboard annotations`: add, list and remove the dated notes drawn
//! on the charts (docs/annotations.md), straight in the configured database.

use engine::annotations::{Annotation, NewAnnotation, Reach};
use engine::period::Period;
use std::path::Path;

pub struct AddArgs {
    pub date: String,
    pub title: String,
    pub team: Option<String>,
    pub inherit: bool,
}

/// The command-line argument that carries a field of an annotation.
fn argument(field: &str) -> &'static str {
    match field {
        "date" => "--date",
        "team" => "--team",
        "scope" => "--inherit",
        _ => "--title",
    }
}

/// One line per annotation: id (or "config"), date, title, whose.
fn line(a: &Annotation) -> String {
    let id =
        a.id.map_or_else(|| "config".to_string(), |id| id.to_string());
    let whose = a.team.as_deref().unwrap_or("organisation");
    let reach = match a.scope {
        Reach::Inherit => ", inherit",
        Reach::Own => "",
    };
    format!("{id:>6}  {}  {}  ({whose}{reach})", a.date, a.title)
}

pub async fn add(config_path: &Path, args: AddArgs) -> anyhow::Result<()> {
    let date = Period::parse_date(&args.date).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
    let (config, store) = super::open(config_path, false).await?;
    let scope = if args.inherit {
        Reach::Inherit
    } else {
        Reach::Own
    };
    let new = NewAnnotation::new(&config, date, &args.title, args.team.as_deref(), scope)
        .map_err(|e| anyhow::anyhow!("{}: {}", argument(e.field), e.message))?;
    let stored = store.add_annotation(&new).await?;
    println!("added {}", line(&stored).trim_start());
    Ok(())
}

pub struct ListArgs {
    pub team: Option<String>,
    pub from: String,
    pub to: String,
    pub remove: Option<i64>,
    pub json: bool,
}

pub async fn list(config_path: &Path, args: ListArgs) -> anyhow::Result<()> {
    let (config, store) = super::open(config_path, false).await?;
    if let Some(id) = args.remove {
        if !store.delete_annotation(id).await? {
            anyhow::bail!(
                "--remove: no stored annotation has id {id} (those of [[annotations]] in the \
                 configuration are removed by editing it)"
            );
        }
        println!("removed annotation {id}");
        return Ok(());
    }
    let from = Period::parse_date(&args.from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = Period::parse_date(&args.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))?;
    let listed = match args.team.as_deref() {
        None => engine::annotations::in_period(&store, &config, period.from, period.to).await?,
        Some(slug) => {
            let scope = config.scope(Some(slug)).map_err(|_| {
                anyhow::anyhow!(
                    "--team: {}",
                    engine::annotations::unknown_team(&config, slug)
                )
            })?;
            engine::annotations::for_scopes(&store, &config, &[&scope], period.from, period.to)
                .await?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else if listed.is_empty() {
        println!("no annotations from {} to {}", period.from, period.to);
    } else {
        for a in &listed {
            println!("{}", line(a));
        }
    }
    Ok(())
}
