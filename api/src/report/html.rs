//! The report as one self-contained HTML page: inline CSS (a screen layout and an A4-landscape
//! print layout), inline SVG charts, no scripts, no external requests.
//!
//! Every name that comes from configuration or data is escaped. The page is also well-formed
//! XML (void elements closed, no named entities), so tests read it with an XML parser; figures
//! carry their raw values in `data-` attributes (`data-metric`, `data-value`, `data-team`) so a
//! test or a scraper can compare them with `/api/v1/metrics`.

use super::narrative::{self, Figure, Highlight, Trend, tile_parts};
use super::{Report, TREND_CHARTS};
use crate::charts::format;
use crate::charts::render::{self, RenderError, escape};
use crate::charts::{MetricGroup, MetricKey};
use crate::targets::{Direction, Standing, Status, TeamStanding};
use engine::metrics::MetricsReport;
use std::fmt::Write;

/// Size of the small trend charts, and the scale of their text.
const CHART_SIZE: (u32, u32) = (400, 215);
const CHART_SCALE: f64 = 1.3;
/// Rows of the tribes table beyond which teams are left out (tribes only).
const MAX_TABLE_ROWS: usize = 24;

const STYLE: &str = r#"
:root { --ink: #222; --muted: #5f5f5f; --line: #ddd; --better: #00795a; --worse: #b34a00;
        --elite: #dff2ea; --high: #e4f0f8; --medium: #fbf7dc; --low: #f9e6dc; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "DejaVu Sans", Verdana, system-ui, sans-serif; color: var(--ink);
       background: #f4f4f2; font-size: 14px; line-height: 1.4; }
.page { max-width: 1280px; margin: 0 auto; padding: 24px 28px; background: #fff; }
h1 { font-size: 24px; margin: 0; }
h2 { font-size: 13px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
h3 { font-size: 14px; margin: 0 0 4px; }
section { margin-bottom: 16px; }
.sub { color: var(--muted); margin: 4px 0 14px; }
.empty { border: 2px dashed var(--line); padding: 12px 16px; font-size: 16px; color: var(--muted); }
.tiles { display: grid; grid-template-columns: 3fr 2fr; gap: 12px; }
.tile-group { display: grid; grid-template-columns: repeat(var(--n), 1fr); gap: 12px; align-content: start; }
.tile-group h3 { grid-column: 1 / -1; margin: 0; font-size: 14px; color: var(--muted); }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.tile .name { color: var(--muted); font-size: 13px; }
.tile .big { font-size: 34px; font-weight: bold; }
.tile .unit { color: var(--muted); }
.tile .n { color: var(--muted); font-size: 12px; }
.tier { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; border: 1px solid #ccc; }
.tier-elite { background: var(--elite); } .tier-high { background: var(--high); }
.tier-medium { background: var(--medium); } .tier-low { background: var(--low); }
.trend { font-size: 13px; margin: 4px 0 2px; }
.better, .met { color: var(--better); } .worse, .missed { color: var(--worse); }
.same, .unknown, .no_data { color: var(--muted); }
.highlights { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.highlight { border-left: 5px solid var(--muted); padding: 6px 12px; background: #fafafa; }
.highlight.improvement { border-color: var(--better); }
.highlight.risk { border-color: var(--worse); }
.highlight p { margin: 0; font-size: 15px; }
.strip { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.strip figure { margin: 0; }
.strip svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 11px; color: var(--muted); }
.legend { text-transform: none; letter-spacing: 0; font-weight: normal; margin-left: 12px; }
.swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-left: 6px; }
.swatch.now { background: #0072B2; } .swatch.before { background: #8C8C8C; }
.sentences { columns: 2; column-gap: 28px; margin: 0; padding-left: 18px; }
.sentences li { margin-bottom: 5px; break-inside: avoid; }
.cols { display: grid; grid-template-columns: 3fr 2fr; gap: 24px; }
.words-row { grid-template-columns: 2fr 1fr; }
.caveats { margin: 0; padding-left: 18px; }
.score .headline { font-size: 20px; font-weight: bold; margin: 4px 0; }
.score .groups { margin: 2px 0; }
ul.annotations { margin: 0; padding-left: 18px; columns: 2; column-gap: 28px; }
ul.annotations time { font-weight: 600; margin-right: 4px; }
ul.annotations .whose { color: #5f5f5f; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { color: var(--muted); font-weight: normal; font-size: 12px; }
td.num { white-space: nowrap; }
tr.tribe th, tr.tribe td { font-weight: bold; background: #f7f7f7; }
tr.team th { padding-left: 18px; font-weight: normal; }
.t { font-size: 11px; color: var(--muted); margin-left: 4px; font-weight: normal; }
.target { white-space: nowrap; }
.meaning dl { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px 18px; margin: 0; }
.meaning dt { font-weight: bold; }
.meaning dd { margin: 0 0 6px; color: #444; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
@page { size: A4 landscape; margin: 6mm 7mm; }
@media print {
  body { background: #fff; font-size: 7.4pt; line-height: 1.25; }
  .page { max-width: none; padding: 0; }
  section { margin-bottom: 4px; }
  h1 { font-size: 13pt; } h2 { font-size: 6.8pt; margin-bottom: 2px; } h3 { font-size: 7.4pt; }
  .sub { margin: 0 0 5px; }
  .tiles, .tile-group { gap: 6px; }
  .tile { padding: 3px 7px; }
  .tile .big { font-size: 17pt; }
  .tile .name, .tile .n, .trend, .tier, table, .t, .note, figcaption { font-size: 6.4pt; }
  .trend { margin: 1px 0; }
  .highlight { padding: 3px 8px; } .highlight p { font-size: 7.6pt; }
  .highlights, .strip { gap: 6px; }
  .sentences li { margin-bottom: 1px; }
  .cols { gap: 10px; }
  th, td, thead th { padding: 0 4px; font-size: 6.4pt; }
  .meaning dl { grid-template-columns: repeat(6, 1fr); gap: 2px 8px; }
  .meaning dt, .meaning dd { font-size: 6.2pt; }
  section, .tile, .highlight, figure, tr, li { break-inside: avoid; }
}
"#;

/// The page, complete.
pub fn render(report: &Report) -> Result<String, RenderError> {
    let mut out = String::with_capacity(96 * 1024);
    let scope = report.scope_title();
    let period = format::period(&report.period);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>Delivery performance — {} — {}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main class=\"page\">\n",
        escape(&scope),
        escape(&period)
    );
    header(&mut out, report);
    if report.headline.deployment_frequency.deployments == 0 {
        let _ = writeln!(
            out,
            "<p class=\"empty\" role=\"status\">No deployments in this period: there is nothing to \
             measure yet for {}. Check the period, or that deployments are being collected.</p>",
            escape(&narrative::subject(&report.headline).to_lowercase_if_org())
        );
    }
    tiles(&mut out, report);
    super::score::section(&mut out, &report.headline.dora_score);
    highlights(&mut out, report);
    charts(&mut out, report)?;
    annotations(&mut out, report);
    out.push_str("<div class=\"cols words-row\">\n");
    words(&mut out, report);
    caveats(&mut out, report);
    out.push_str("</div>\n<div class=\"cols\">\n");
    table(&mut out, report);
    side(&mut out, report);
    out.push_str("</div>\n");
    meaning(&mut out, report);
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out)
}

trait OrgLower {
    fn to_lowercase_if_org(&self) -> String;
}

impl OrgLower for String {
    fn to_lowercase_if_org(&self) -> String {
        if self == "The organisation" {
            "the organisation".into()
        } else {
            self.clone()
        }
    }
}

fn header(out: &mut String, report: &Report) {
    let _ = write!(
        out,
        "<header>\n<h1>Delivery performance · {}</h1>\n<p class=\"sub\">{}, compared with {} · \
         tiers from the DORA {} State of DevOps report · medians, not averages</p>\n</header>\n",
        escape(&report.scope_title()),
        escape(&format::period(&report.period)),
        escape(&format::period(&report.previous_period())),
        escape(&report.tiers)
    );
}

/// The arrow of a figure: which way the value moved.
pub fn arrow(f: &Figure) -> &'static str {
    match f.direction() {
        1 => "▲",
        -1 => "▼",
        _ => "→",
    }
}

/// The raw value of a figure for `data-value`: what `/api/v1/metrics` answers.
fn raw(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    })
}

fn sample_words(f: &Figure) -> String {
    let n = format::count(f.samples);
    match f.metric {
        MetricKey::DeploymentFrequency => format!("{n} deployments"),
        MetricKey::LeadTime => format!("{n} changes"),
        MetricKey::ChangeFailureRate | MetricKey::ReworkRate => format!("of {n} deployments"),
        MetricKey::TimeToRestore => format!("{n} incidents and rollbacks"),
    }
}

fn tiles(out: &mut String, report: &Report) {
    let last = format::previous_period_phrase(&report.period);
    out.push_str("<section class=\"tiles\" aria-label=\"Headline figures\">\n");
    for group in MetricGroup::ALL {
        let _ = writeln!(
            out,
            "<div class=\"tile-group\" data-group=\"{}\" style=\"--n: {}\">\n<h3>{}</h3>",
            group.title().to_lowercase(),
            group.metrics().count(),
            group.title()
        );
        for metric in group.metrics() {
            tile(out, report, metric, &last);
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

/// One headline figure: value, tier, trend against the previous period, sample.
fn tile(out: &mut String, report: &Report, metric: MetricKey, last: &str) {
    let f = narrative::figure(&report.headline, metric);
    let (big, unit) = tile_parts(&f);
    let trend = f.trend();
    let _ = write!(
        out,
        "<div class=\"tile\" data-metric=\"{}\" data-value=\"{}\" data-previous=\"{}\" \
         data-trend=\"{}\" data-tier=\"{}\">\n<div class=\"name\">{}</div>\n\
         <div class=\"value\"><span class=\"big\">{}</span> <span class=\"unit\">{}</span></div>\n",
        metric.as_str(),
        raw(f.value),
        raw(f.previous),
        trend.as_str(),
        f.tier.map_or("", |t| t.as_str()),
        metric.title(),
        escape(&big),
        escape(&unit)
    );
    match f.tier {
        Some(t) => {
            let _ = writeln!(
                out,
                "<span class=\"tier tier-{t}\">DORA {t}</span>",
                t = t.as_str()
            );
        }
        None if metric == MetricKey::ReworkRate => {
            out.push_str("<span class=\"tier\">no DORA tiers yet</span>\n");
        }
        None => out.push_str("<span class=\"tier\">no tier</span>\n"),
    }
    let trend_text = match (trend, f.previous_words()) {
        (Trend::Unknown, _) | (_, None) => format!("no earlier data to compare with {last}"),
        (Trend::Same, Some(was)) => format!("about the same as {last} ({was})"),
        (t, Some(was)) => format!("{} {}: {was} {last}", arrow(&f), t.as_str()),
    };
    let _ = write!(
        out,
        "<div class=\"trend {}\">{}</div>\n<div class=\"n\">{}{}</div>\n</div>\n",
        trend.as_str(),
        escape(&trend_text),
        escape(&sample_words(&f)),
        if f.small_sample && f.value.is_some() {
            " · small sample"
        } else {
            ""
        }
    );
}

fn highlight(out: &mut String, class: &str, heading: &str, h: Option<&Highlight>, none: &str) {
    let _ = writeln!(
        out,
        "<div class=\"highlight {class}\"><h3>{heading}</h3><p{}>{}</p></div>",
        h.map_or_else(String::new, |h| format!(
            " data-team=\"{}\" data-metric=\"{}\"",
            escape(h.team.as_deref().unwrap_or_default()),
            h.figure.metric.as_str()
        )),
        escape(h.map_or(none, |h| h.sentence.as_str()))
    );
}

fn highlights(out: &mut String, report: &Report) {
    out.push_str("<section class=\"highlights\" aria-label=\"Highlights\">\n");
    let scope = if report.groups.is_empty() {
        "this team"
    } else {
        "any team"
    };
    highlight(
        out,
        "improvement",
        "Biggest improvement",
        report.improvement.as_ref(),
        &format!("No figure of {scope} improved notably on enough data to call out."),
    );
    highlight(
        out,
        "risk",
        "Biggest risk",
        report.risk.as_ref(),
        &format!("No figure of {scope} got notably worse on enough data: no new risk this period."),
    );
    out.push_str("</section>\n");
}

fn words(out: &mut String, report: &Report) {
    out.push_str("<section class=\"words\">\n<h2>In plain words</h2>\n<ul class=\"sentences\">\n");
    for s in &report.sentences {
        let _ = writeln!(out, "<li>{}</li>", escape(s));
    }
    for s in &report.team_sentences {
        let _ = writeln!(out, "<li class=\"team-sentence\">{}</li>", escape(s));
    }
    out.push_str("</ul>\n</section>\n");
}

fn charts(out: &mut String, report: &Report) -> Result<(), RenderError> {
    let _ = write!(
        out,
        "<section class=\"charts\">\n<h2>Trends, {} <span class=\"legend\"><span class=\"swatch now\"></span> this period \
         <span class=\"swatch before\"></span> {} ({}) · shading: DORA tier bands · hollow \
         markers: fewer than {} samples in the {}</span></h2>\n<div class=\"strip\">\n",
        escape(format::per_bucket(report.bucket)),
        escape(&format::previous_period_phrase(&report.period)),
        escape(&format::period(&report.previous_period())),
        report.small_sample,
        report.bucket.as_str()
    );
    for (metric, chart) in TREND_CHARTS.iter().zip(&report.charts) {
        let svg = render::svg_scaled(chart, CHART_SIZE.0, CHART_SIZE.1, CHART_SCALE, true)?;
        let _ = write!(
            out,
            "<figure data-chart=\"{}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
            metric.as_str(),
            // The page header already says who and when: keep the sample.
            escape(
                chart
                    .caption
                    .rsplit_once("; ")
                    .map_or(chart.caption.as_str(), |(_, sample)| sample)
            )
        );
    }
    out.push_str("</div>\n</section>\n");
    Ok(())
}

/// The annotations of the period, by date, with whose they are (the charts above mark them).
fn annotations(out: &mut String, report: &Report) {
    if report.annotations.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"annotations\">\n<h2>What happened</h2>\n<ul class=\"annotations\">\n",
    );
    for a in &report.annotations {
        let whose = a
            .team
            .as_deref()
            .map_or_else(|| "organisation".to_string(), |t| t.to_string());
        let _ = writeln!(
            out,
            "<li data-date=\"{}\"><time datetime=\"{}\">{}</time> {} <span class=\"whose\">({})</span></li>",
            a.date,
            a.date,
            escape(&format::date(a.date)),
            escape(&a.title),
            escape(&whose)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

/// A cell of the tribes table: value, arrow, tier, with raw values for machines.
fn cell(out: &mut String, report: &MetricsReport, metric: MetricKey, small: &mut bool) {
    let f = narrative::figure(report, metric);
    let shown = f.text().unwrap_or_else(|| "–".to_string());
    let star = if f.small_sample && f.value.is_some() {
        *small = true;
        "*"
    } else {
        ""
    };
    let trend = f.trend();
    let _ = write!(
        out,
        "<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{}{star}",
        metric.as_str(),
        raw(f.value),
        escape(&shown)
    );
    if matches!(trend, Trend::Better | Trend::Worse) {
        let _ = write!(
            out,
            " <span class=\"{}\" title=\"{} than {}\">{}</span>",
            trend.as_str(),
            trend.as_str(),
            escape(&f.previous_text().unwrap_or_default()),
            arrow(&f)
        );
    }
    if let Some(t) = f.tier {
        let _ = write!(out, "<span class=\"t\">{}</span>", t.as_str());
    }
    out.push_str("</td>");
}

fn row(out: &mut String, class: &str, report: &MetricsReport, small: &mut bool) {
    let _ = write!(
        out,
        "<tr class=\"{class}\" data-team=\"{}\"><th scope=\"row\">{}</th>",
        escape(report.team.as_deref().unwrap_or_default()),
        escape(&report.name)
    );
    for metric in MetricKey::GROUPED {
        cell(out, report, metric, small);
    }
    out.push_str("</tr>\n");
}

fn table(out: &mut String, report: &Report) {
    out.push_str("<section class=\"teams\">\n");
    if report.groups.is_empty() {
        out.push_str(
            "<h2>The team</h2>\n<p class=\"note\">This report covers one team; the \
                      figures above are its own.</p>\n</section>\n",
        );
        return;
    }
    out.push_str("<h2>Tribes and teams</h2>\n<table>\n<thead><tr><td></td>");
    for group in MetricGroup::ALL {
        let _ = write!(
            out,
            "<th scope=\"colgroup\" colspan=\"{}\">{}</th>",
            group.metrics().count(),
            group.title()
        );
    }
    out.push_str("</tr>\n<tr><th scope=\"col\">Tribe / team</th>");
    for metric in MetricKey::GROUPED {
        let _ = write!(out, "<th scope=\"col\">{}</th>", metric.short());
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut small = false;
    // A page holds a couple of dozen rows: a large organisation shows its tribes only.
    let rows: usize = report.groups.iter().map(|g| 1 + g.teams.len()).sum();
    let with_teams = rows <= MAX_TABLE_ROWS || report.groups.iter().all(|g| g.tribe.is_none());
    for group in &report.groups {
        match &group.tribe {
            Some(tribe) => row(out, "tribe", tribe, &mut small),
            None if with_teams => {
                out.push_str(
                    "<tr class=\"tribe\"><th scope=\"row\" colspan=\"6\">Teams in no tribe</th></tr>\n",
                );
            }
            None => {}
        }
        if with_teams {
            for team in &group.teams {
                row(out, "team", team, &mut small);
            }
        }
    }
    if !with_teams {
        out.push_str(
            "<tr><td colspan=\"6\" class=\"note\">Teams are left out to fit the page: a tribe's \
             report (<code>team=TRIBE</code>) lists its teams.</td></tr>\n",
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let _ = write!(
        out,
        "<p class=\"note\">▲▼ which way the figure moved since {}, green when that is better, \
         orange when worse.{}</p>\n</section>\n",
        escape(&format::previous_period_phrase(&report.period)),
        if small {
            format!(
                " * fewer than {} samples: an indication, not a trend.",
                report.small_sample
            )
        } else {
            String::new()
        }
    );
}

fn target_text(s: &Standing, value: f64) -> String {
    match s.unit {
        "per_week" => format!("{} a week", format::per_week(value)),
        "seconds" => format::duration(value),
        _ => format::percent(value),
    }
}

/// Shorter than [`MetricKey::short`]: a target's row has the least room.
fn short_metric_name(key: MetricKey) -> &'static str {
    match key {
        MetricKey::DeploymentFrequency => "Deploys",
        MetricKey::LeadTime => "Lead time",
        MetricKey::ChangeFailureRate => "Fail rate",
        MetricKey::TimeToRestore => "Recovery",
        MetricKey::ReworkRate => "Rework",
    }
}

fn targets(out: &mut String, standings: &[TeamStanding]) {
    out.push_str("<h2>KPI targets</h2>\n");
    if standings.is_empty() {
        out.push_str(
            "<p class=\"note\">No team in this report has set targets (config \
                      <code>targets</code>).</p>\n",
        );
        return;
    }
    out.push_str(
        "<table class=\"targets\">\n<thead><tr><th scope=\"col\">Team</th>\
         <th scope=\"col\">Met</th><th scope=\"col\">Target: now</th></tr></thead>\n<tbody>\n",
    );
    for team in standings {
        let _ = write!(
            out,
            "<tr data-team=\"{}\"><th scope=\"row\">{}</th><td class=\"num\">{} of {}</td><td>",
            escape(&team.team),
            escape(&team.name),
            team.met,
            team.targets.len()
        );
        for (i, s) in team.targets.iter().enumerate() {
            let (class, mark) = match s.status {
                Status::Met => ("met", "✓"),
                Status::Missed => ("missed", "✗"),
                Status::NoData => ("no_data", "no data"),
            };
            let goal = format!(
                "{} {} {}: {} {mark}",
                short_metric_name(s.metric),
                match s.direction {
                    Direction::AtMost => "≤",
                    Direction::AtLeast => "≥",
                },
                target_text(s, s.target),
                s.value
                    .map_or_else(|| "–".to_string(), |v| target_text(s, v)),
            );
            let _ = write!(
                out,
                "{}<span class=\"target {class}\" data-metric=\"{}\" data-status=\"{class}\">{}</span>",
                if i > 0 { " · " } else { "" },
                escape(s.metric.as_str()),
                escape(&goal)
            );
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn side(out: &mut String, report: &Report) {
    out.push_str("<section class=\"side\">\n");
    targets(out, &report.targets);
    out.push_str("</section>\n");
}

fn caveats(out: &mut String, report: &Report) {
    out.push_str("<section class=\"care\">\n<h2>Read with care</h2>\n<ul class=\"caveats\">\n");
    if report.caveats.is_empty() {
        out.push_str("<li>Every headline figure rests on enough samples.</li>\n");
    }
    for c in &report.caveats {
        let _ = writeln!(out, "<li>{}</li>", escape(c));
    }
    out.push_str(
        "<li>Every figure can be traced to its deployments, changes and incidents with \
         <code>doraboard explain</code> or on the dashboard.</li>\n</ul>\n</section>\n",
    );
}

fn meaning(out: &mut String, report: &Report) {
    let _ = write!(
        out,
        "<section class=\"meaning\">\n<h2>What these metrics mean</h2>\n<dl>\n\
         <div><dt>Throughput</dt><dd>How quickly changes reach production and recover: the \
         next three (DORA's grouping since 2024).</dd></div>\n\
         <div><dt>Change lead time</dt><dd>First commit to running in production, for the \
         median change. Shorter is better.</dd></div>\n\
         <div><dt>Deployment frequency</dt><dd>How often changes reach production. More often \
         means smaller, safer changes and faster feedback.</dd></div>\n\
         <div><dt>Failed deployment recovery time</dt><dd>How long recovery takes after a \
         deployment hurts production (median; once called time to restore service). Shorter is \
         better.</dd></div>\n\
         <div><dt>Instability</dt><dd>How often deployments fail or need unplanned work: the \
         next two.</dd></div>\n\
         <div><dt>Change fail rate</dt><dd>Share of deployments that hurt production (an \
         incident, rollback, revert or hotfix). Lower is better.</dd></div>\n\
         <div><dt>Deployment rework rate</dt><dd>Share of deployments that were unplanned fixes \
         (added by DORA in 2024). Lower is better.</dd></div>\n\
         <div><dt>DORA Quick Check score</dt><dd>Each figure on DORA's own 0 to 10 scale, \
         compared with the industry benchmark DORA publishes.</dd></div>\n\
         <div><dt>Elite, high, medium, low</dt><dd>DORA's performance groups ({} tables): \
         context, not targets.</dd></div>\n</dl>\n</section>\n",
        escape(&report.tiers)
    );
}
