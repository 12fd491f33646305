//! The report's headline as one 1920x1080 PNG slide, ready to paste into a deck: the five
//! numbers in DORA's two groups (throughput, instability) with tiers and trends, the lead-time
//! chart, the DORA Quick Check score, and the biggest improvement and risk.
//! Drawn with plotters' bitmap backend and the bundled font: no browser, no system fonts.

use super::Report;
use super::narrative::{self, Trend, tile_parts};
use crate::charts::model::{Rgb, palette, tier_tint};
use crate::charts::render::{self, RenderError, text_style, wrap};
use crate::charts::{MetricKey, font, format};
use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::Rectangle;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, ShapeStyle};

/// The slide's size: full HD, 16:9.
pub const SIZE: (u32, u32) = (1920, 1080);

const MARGIN: i32 = 72;

fn fail<E: std::fmt::Debug>(e: E) -> RenderError {
    RenderError::from_message(format!("{e:?}"))
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// The slide as PNG bytes.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    font::ensure_registered();
    let (width, height) = SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw(&area, report)?;
        area.present().map_err(fail)?;
    }
    render::encode_png(&pixels, width, height)
}

fn text<DB: plotters::backend::DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    at: (i32, i32),
    size: f64,
    bold: bool,
    colour: Rgb,
) -> Result<(), RenderError> {
    render::put_text(
        area,
        true,
        s,
        at,
        &text_style(size, bold, colour, HPos::Left, VPos::Top),
    )
}

/// Draws the slide onto `area` (1920x1080).
pub fn draw<DB: plotters::backend::DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Result<(), RenderError> {
    area.fill(&RGBColor(255, 255, 255)).map_err(fail)?;
    let (width, _) = area.dim_in_pixel();
    let width = width as i32;

    // Title.
    text(
        area,
        &format!("Delivery performance · {}", report.scope_title()),
        (MARGIN, 52),
        58.0,
        true,
        palette::INK,
    )?;
    text(
        area,
        &format!(
            "{}, compared with {} · DORA {} tiers · medians, not averages",
            format::period(&report.period),
            format::period(&report.previous_period()),
            report.tiers
        ),
        (MARGIN, 128),
        27.0,
        false,
        palette::MUTED,
    )?;

    // Five tiles in DORA's two groups, each group named above its first tile.
    let gap = 24;
    let tile_w = (width - 2 * MARGIN - 4 * gap) / 5;
    let (top, tile_h) = (210, 290);
    let last = format::previous_period_phrase(&report.period);
    for (i, metric) in MetricKey::GROUPED.into_iter().enumerate() {
        let x = MARGIN + i as i32 * (tile_w + gap);
        if metric.group().metrics().next() == Some(metric) {
            text(
                area,
                metric.group().title(),
                (x, top - 38),
                26.0,
                true,
                palette::MUTED,
            )?;
        }
        let f = narrative::figure(&report.headline, metric);
        let frame = ShapeStyle {
            color: rgb(palette::GRID).to_rgba(),
            filled: false,
            stroke_width: 3,
        };
        area.draw(&Rectangle::new(
            [(x, top), (x + tile_w, top + tile_h)],
            frame,
        ))
        .map_err(fail)?;
        let name = match metric {
            MetricKey::DeploymentFrequency => metric.title(),
            m => m.short(),
        };
        text(area, name, (x + 22, top + 20), 27.0, false, palette::MUTED)?;
        let (big, unit) = tile_parts(&f);
        text(area, &big, (x + 20, top + 62), 92.0, true, palette::INK)?;
        let unit = match metric {
            MetricKey::ChangeFailureRate | MetricKey::ReworkRate => "% of deployments".to_string(),
            MetricKey::DeploymentFrequency => "deploys a week".to_string(),
            _ => unit,
        };
        text(
            area,
            &unit,
            (x + 22, top + 164),
            25.0,
            false,
            palette::MUTED,
        )?;
        // Tier badge.
        let badge = f.tier.map_or_else(
            || {
                if metric == MetricKey::ReworkRate {
                    "no DORA tiers".to_string()
                } else {
                    "no tier".to_string()
                }
            },
            |t| format!("DORA {t}"),
        );
        let tint = f.tier.map_or(Rgb(0xF0, 0xF0, 0xF0), tier_tint);
        let badge_w = area
            .estimate_text_size(
                &badge,
                &text_style(24.0, false, palette::INK, HPos::Left, VPos::Top),
            )
            .map_or(150, |(w, _)| w as i32)
            + 28;
        area.draw(&Rectangle::new(
            [(x + 20, top + 204), (x + 20 + badge_w, top + 240)],
            rgb(tint).filled(),
        ))
        .map_err(fail)?;
        text(area, &badge, (x + 34, top + 209), 24.0, false, palette::INK)?;
        // Trend.
        let was = f.previous_text().map(|p| match metric {
            MetricKey::DeploymentFrequency => format!("{p}/wk"),
            _ => p,
        });
        let (colour, trend) = match (f.trend(), was) {
            (Trend::Better, Some(was)) => (
                palette::BETTER,
                format!("{} better, was {was}", crate::report::html::arrow(&f)),
            ),
            (Trend::Worse, Some(was)) => (
                palette::WORSE,
                format!("{} worse, was {was}", crate::report::html::arrow(&f)),
            ),
            (Trend::Same, Some(_)) => (palette::MUTED, format!("→ about the same as {last}")),
            _ => (palette::MUTED, "no earlier data".to_string()),
        };
        text(area, &trend, (x + 22, top + 250), 23.0, false, colour)?;
    }

    // One chart: lead time, the figure executives ask about first.
    let chart_top = top + tile_h + 40;
    let chart_right = 1160;
    if let Some(chart) = report
        .charts
        .iter()
        .find(|c| c.kind == crate::charts::ChartKind::Metric(MetricKey::LeadTime))
    {
        let chart_area = area.margin(chart_top, 40, MARGIN - 18, width - chart_right);
        render::draw(&chart_area, chart, &render::DrawOptions::full(1.5, true))?;
    }

    // Highlights, then the headline sentences while they fit.
    let x = chart_right + 48;
    let column = width - MARGIN - x;
    let bottom = 1080 - 70;
    let mut y = chart_top + 14;
    let body = text_style(27.0, false, palette::INK, HPos::Left, VPos::Top);
    let line = 37;
    let block =
        |heading: &str, colour: Rgb, sentence: &str, y: &mut i32| -> Result<bool, RenderError> {
            let lines = wrap(area, sentence, &body, column);
            let needed = 44 + lines.len() as i32 * line + 22;
            if *y + needed > bottom {
                return Ok(false);
            }
            if !heading.is_empty() {
                text(area, heading, (x, *y), 29.0, true, colour)?;
                *y += 44;
            }
            for l in lines {
                text(area, &l, (x, *y), 27.0, false, palette::INK)?;
                *y += line;
            }
            *y += 22;
            Ok(true)
        };
    let improvement = report.improvement.as_ref().map_or(
        "No figure improved notably on enough data to call out.",
        |h| h.sentence.as_str(),
    );
    let risk = report
        .risk
        .as_ref()
        .map_or("No figure got notably worse on enough data.", |h| {
            h.sentence.as_str()
        });
    // The Quick Check score, short: its source is in the footer.
    let score = &report.headline.dora_score;
    let (heading, words) = match score.overall {
        Some(overall) => (
            format!("DORA Quick Check score {overall:.1} / 10"),
            format!(
                "{} average {:.1}{}.",
                score.benchmark.name,
                score.benchmark.overall.mean,
                score
                    .benchmark
                    .standing
                    .as_ref()
                    .and_then(|s| s.text.as_deref())
                    .map_or_else(String::new, |t| format!("; {t}"))
            ),
        ),
        None => (
            "DORA Quick Check score".to_string(),
            format!(
                "Not scored: {}.",
                score.reason.as_deref().unwrap_or("no data")
            ),
        ),
    };
    block(&heading, palette::INK, &words, &mut y)?;
    block("Biggest improvement", palette::BETTER, improvement, &mut y)?;
    block("Biggest risk", palette::WORSE, risk, &mut y)?;
    let mut first = true;
    for s in report.sentences.iter().skip(1).take(2) {
        let heading = if first { "In short" } else { "" };
        if !block(heading, palette::INK, s, &mut y)? {
            break;
        }
        first = false;
    }

    // Footer.
    let h = &report.headline;
    text(
        area,
        &format!(
            "{} deployments · {} changes · {} incidents and rollbacks · score: {} · generated by \
             doraboard",
            format::count(h.deployment_frequency.deployments),
            format::count(h.lead_time.changes),
            format::count(h.time_to_restore.incidents + h.time_to_restore.rollbacks),
            h.dora_score.benchmark.source
        ),
        (MARGIN, 1080 - 52),
        21.0,
        false,
        palette::MUTED,
    )?;
    Ok(())
}
