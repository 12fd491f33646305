//! The font every chart and slide is drawn with, compiled into the binary so rendering needs no
//! system fonts (DejaVu Sans, Bitstream Vera licence: `assets/fonts/LICENSE`).
//!
//! plotters' `ab_glyph` feature measures and rasterises text with fonts registered by name; the
//! name is also what the SVG backend writes as `font-family`, so it is a CSS font list: a browser
//! that has DejaVu Sans uses it, any other falls back to its own sans-serif.

use plotters::style::FontStyle;
use std::sync::Once;

/// The family charts ask for: registered under this exact name, written as the SVG font-family.
pub const FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

static REGISTER: Once = Once::new();

/// Registers the fonts with plotters, once per process; every renderer calls it first.
pub fn ensure_registered() {
    REGISTER.call_once(|| {
        // The bytes are a known-good font compiled in; a failure here is a build defect that the
        // chart tests catch at once (text would fail to render with `FontUnavailable`).
        if plotters::style::register_font(FAMILY, FontStyle::Normal, REGULAR).is_err() {
            tracing::error!("the bundled regular font could not be parsed");
        }
        if plotters::style::register_font(FAMILY, FontStyle::Bold, BOLD).is_err() {
            tracing::error!("the bundled bold font could not be parsed");
        }
    });
}

/// Horizontal and vertical anchoring of rasterised text, as plotters' `Pos` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// The pixels of `text` drawn at `size` (plotters' size: the font's ascent-to-descent height
/// in pixels), anchored at `at`: `(x, y, coverage)` with coverage in 0..=1.
///
/// plotters' own `ab_glyph` text drawing ignores each glyph's side bearing, which spaces letters
/// unevenly in bitmaps; this lays glyphs out by their advances, kerning and bounds.
pub fn raster(
    text: &str,
    size: f64,
    bold: bool,
    at: (i32, i32),
    horizontal: Anchor,
    vertical: Anchor,
) -> Vec<(i32, i32, f32)> {
    use ab_glyph::{Font, FontRef, ScaleFont, point};
    let bytes = if bold { BOLD } else { REGULAR };
    let Ok(font) = FontRef::try_from_slice(bytes) else {
        return Vec::new();
    };
    let scaled = font.as_scaled(size as f32);
    let mut width = 0.0f32;
    let mut previous = None;
    let glyphs: Vec<(ab_glyph::GlyphId, f32)> = text
        .chars()
        .map(|c| {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                width += scaled.kern(p, id);
            }
            let x = width;
            width += scaled.h_advance(id);
            previous = Some(id);
            (id, x)
        })
        .collect();
    let (ascent, descent) = (scaled.ascent(), scaled.descent());
    let left = at.0 as f32
        - match horizontal {
            Anchor::Start => 0.0,
            Anchor::Middle => width / 2.0,
            Anchor::End => width,
        };
    let baseline = at.1 as f32
        + match vertical {
            Anchor::Start => ascent,
            // Centre the capitals and x-height rather than the full box: text looks centred.
            Anchor::Middle => ascent * 0.36,
            Anchor::End => descent,
        };
    let mut pixels = Vec::new();
    for (id, x) in glyphs {
        let glyph = id.with_scale_and_position(size as f32, point(left + x, baseline));
        if let Some(outline) = scaled.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 {
                    pixels.push((
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                        coverage.min(1.0),
                    ));
                }
            });
        }
    }
    pixels
}
