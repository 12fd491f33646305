//! Draws a [`Chart`] with plotters onto any drawing area: an SVG document, a PNG image, or a
//! region of the report slide. One renderer, so the web page, the report and the slide show the
//! same picture.
//!
//! Layout is computed here in pixels (plotters supplies the backends, the shapes and text
//! measurement): title, caption, legend, the y unit, the plot with its tier bands, grid and
//! series, then the x labels, thinned so they never overlap. Every size scales with the width,
//! so a chart reads the same at 480 pixels and at 1920.

use super::font::{self, FAMILY};
use super::model::{Band, Body, Chart, Point, Rgb, Series, Unit, palette, tier_tint};
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{Circle, PathElement, Rectangle, Text};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontStyle, RGBAColor, RGBColor, ShapeStyle, TextStyle};

/// Why a chart could not be drawn (a backend or font failure: a bug, not a user error).
#[derive(Debug, thiserror::Error)]
#[error("chart rendering failed: {0}")]
pub struct RenderError(String);

impl RenderError {
    /// A rendering task that panicked or was cancelled.
    pub fn from_join(e: tokio::task::JoinError) -> Self {
        RenderError(format!("rendering task: {e}"))
    }

    /// Any other drawing failure, described.
    pub fn from_message(message: String) -> Self {
        RenderError(message)
    }
}

fn fail<E: std::fmt::Debug>(e: E) -> RenderError {
    RenderError(format!("{e:?}"))
}

/// The reference size sizes are designed at; other sizes scale from it.
const DESIGN_WIDTH: f64 = 960.0;
const DESIGN_HEIGHT: f64 = 540.0;

/// Draws `chart` as a standalone SVG document of `width` x `height`, with its title and caption
/// also as the document's accessible name and description.
pub fn svg(chart: &Chart, width: u32, height: u32) -> Result<String, RenderError> {
    svg_scaled(chart, width, height, scale_for(width, height), false)
}

/// The design sizes scale with the smaller of the two dimensions (relative to 960x540), never
/// below the design size: a chart shown at the size it was drawn (the dashboard asks for its
/// cards' width) keeps 12 px text, not 7.
pub fn scale_for(width: u32, height: u32) -> f64 {
    let by_width = f64::from(width) / DESIGN_WIDTH;
    let by_height = f64::from(height) / DESIGN_HEIGHT;
    by_width.min(by_height).clamp(1.0, 4.0)
}

/// [`svg`] with text and strokes scaled by `scale` rather than by the width, optionally
/// `compact` (see [`DrawOptions`]): small multiples keep readable text on a small canvas.
pub fn svg_scaled(
    chart: &Chart,
    width: u32,
    height: u32,
    scale: f64,
    compact: bool,
) -> Result<String, RenderError> {
    font::ensure_registered();
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(
            &area,
            chart,
            &DrawOptions {
                scale,
                raster_text: false,
                compact,
            },
        )?;
        area.present().map_err(fail)?;
    }
    Ok(accessible(out, chart))
}

/// Draws `chart` as a PNG image of `width` x `height`.
pub fn png(chart: &Chart, width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    font::ensure_registered();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(
            &area,
            chart,
            &DrawOptions::full(scale_for(width, height), true),
        )?;
        area.present().map_err(fail)?;
    }
    encode_png(&pixels, width, height)
}

/// Encodes an RGB buffer as PNG.
pub fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(pixels).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// Gives the SVG root an accessible name (`<title>`) and description (`<desc>`), so screen
/// readers and image search read what the chart shows.
fn accessible(svg: String, chart: &Chart) -> String {
    let Some(open_end) = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j))
    else {
        return svg;
    };
    let (head, tail) = svg.split_at(open_end);
    format!(
        "{head} role=\"img\"><title>{}</title><desc>{}</desc>{}",
        escape(&chart.title),
        escape(&chart.caption),
        &tail[1..]
    )
}

/// XML text escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A text style: size in pixels, weight, colour and which point of the text `pos` names.
pub fn text_style(size: f64, bold: bool, colour: Rgb, h: HPos, v: VPos) -> TextStyle<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    TextStyle {
        font: FontDesc::new(plotters::style::FontFamily::Name(FAMILY), size, style),
        color: rgb(colour).to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// Draws `text` at `at`: a text element, or its pixels when `raster` (see [`font::raster`]).
pub fn put_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    raster: bool,
    text: &str,
    at: (i32, i32),
    style: &TextStyle,
) -> Result<(), RenderError> {
    if !raster {
        return area
            .draw(&Text::new(text.to_string(), at, style.clone()))
            .map_err(fail);
    }
    let bold = matches!(style.font.get_style(), FontStyle::Bold);
    let horizontal = match style.pos.h_pos {
        HPos::Left => font::Anchor::Start,
        HPos::Center => font::Anchor::Middle,
        HPos::Right => font::Anchor::End,
    };
    let vertical = match style.pos.v_pos {
        VPos::Top => font::Anchor::Start,
        VPos::Center => font::Anchor::Middle,
        VPos::Bottom => font::Anchor::End,
    };
    let c = style.color;
    for (x, y, coverage) in
        font::raster(text, style.font.get_size(), bold, at, horizontal, vertical)
    {
        let colour = RGBAColor(c.rgb.0, c.rgb.1, c.rgb.2, c.alpha * f64::from(coverage));
        area.draw_pixel((x, y), &colour).map_err(fail)?;
    }
    Ok(())
}

fn put<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    text: String,
    at: (i32, i32),
    style: TextStyle,
) -> Result<(), RenderError> {
    put_text(area, m.raster, &text, at, &style)
}

/// Sizes of one drawing, scaled from the design width.
#[derive(Debug, Clone, Copy)]
struct Metrics {
    s: f64,
    /// Draw text as pixels (bitmaps) rather than as text elements (SVG).
    raster: bool,
}

impl Metrics {
    fn px(self, design: f64) -> i32 {
        (design * self.s).round() as i32
    }
    fn size(self, design: f64) -> f64 {
        (design * self.s).max(7.0)
    }
    fn stroke(self, design: f64) -> u32 {
        (design * self.s).round().max(1.0) as u32
    }
}

/// Splits `text` into lines no wider than `max_width` pixels (words are never broken).
pub fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: i32,
) -> Vec<String> {
    let width = |t: &str| {
        area.estimate_text_size(t, style)
            .map_or(t.len() as i32 * 8, |(w, _)| w as i32)
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && width(&candidate) > max_width {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// How to draw a chart besides its data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawOptions {
    /// Multiplies every size (1.0 at 960 pixels wide).
    pub scale: f64,
    /// Draw text as pixels: for bitmaps. SVG keeps text as text, selectable and searchable.
    pub raster_text: bool,
    /// A small multiple: title, axes and data only; the caption and legend are shown by the
    /// page around it.
    pub compact: bool,
}

impl DrawOptions {
    /// A full chart at `scale`.
    pub fn full(scale: f64, raster_text: bool) -> Self {
        Self {
            scale,
            raster_text,
            compact: false,
        }
    }
}

/// Draws `chart` filling `area`: the heading, then either the empty state or the legend, the y
/// unit and the plot (bands, grid, x axis, data, annotations), top to bottom.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    options: &DrawOptions,
) -> Result<(), RenderError> {
    let m = Metrics {
        s: options.scale,
        raster: options.raster_text,
    };
    let canvas = Canvas::of(area, m, options.compact);
    area.fill(&RGBColor(255, 255, 255)).map_err(fail)?;
    let mut y = draw_heading(area, m, &canvas, chart)?;
    if let Body::Empty { message } = &chart.body {
        return draw_empty(area, m, &canvas, y, message);
    }
    if !canvas.compact {
        let legend = legend_entries(chart);
        if !legend.is_empty() {
            y = draw_legend(area, m, &legend, canvas.pad, y, canvas.width - canvas.pad)?;
            y += m.px(6.0);
        }
    }
    y = draw_y_unit(area, m, &canvas, chart, y)?;
    let (y_max, tick_labels) = y_ticks(chart);
    let plot = place_plot(area, m, &canvas, chart, &tick_labels, y, y_max);
    if let Body::Lines { bands, .. } = &chart.body {
        draw_bands(area, m, &plot, bands)?;
    }
    draw_grid(area, m, &plot, &tick_labels)?;
    draw_x_axis(area, m, &plot, chart, !canvas.compact)?;
    draw_body(area, m, &plot, &chart.body)?;
    draw_annotations(area, m, &plot, &chart.markers)
}

/// The drawing area's size in pixels, the margin kept around everything, and whether the chart
/// is a small multiple (see [`DrawOptions::compact`]).
struct Canvas {
    width: i32,
    height: i32,
    pad: i32,
    compact: bool,
}

impl Canvas {
    fn of<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, m: Metrics, compact: bool) -> Self {
        let (width, height) = area.dim_in_pixel();
        Canvas {
            width: width as i32,
            height: height as i32,
            pad: m.px(if compact { 10.0 } else { 18.0 }),
            compact,
        }
    }
}

/// The title and, unless compact, the caption wrapped to the width; returns the y below them.
fn draw_heading<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    canvas: &Canvas,
    chart: &Chart,
) -> Result<i32, RenderError> {
    let (pad, compact) = (canvas.pad, canvas.compact);
    let title_size = if compact { 17.0 } else { 22.0 };
    let title = text_style(
        m.size(title_size),
        true,
        palette::INK,
        HPos::Left,
        VPos::Top,
    );
    put(area, m, chart.title.clone(), (pad, pad), title)?;
    let mut y = pad + m.px(if compact { 22.0 } else { 32.0 });
    if !compact {
        let caption = text_style(m.size(14.0), false, palette::MUTED, HPos::Left, VPos::Top);
        for line in wrap(area, &chart.caption, &caption, canvas.width - 2 * pad) {
            put(area, m, line, (pad, y), caption.clone())?;
            y += m.px(19.0);
        }
    }
    Ok(y + m.px(if compact { 2.0 } else { 8.0 }))
}

/// The empty state: a frame from `top` down to the margin with `message` centred in it.
fn draw_empty<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    canvas: &Canvas,
    top: i32,
    message: &str,
) -> Result<(), RenderError> {
    let (width, pad) = (canvas.width, canvas.pad);
    let bottom = canvas.height - pad;
    let frame = ShapeStyle {
        color: rgb(palette::GRID).to_rgba(),
        filled: false,
        stroke_width: m.stroke(1.5),
    };
    area.draw(&Rectangle::new([(pad, top), (width - pad, bottom)], frame))
        .map_err(fail)?;
    let style = text_style(
        m.size(20.0),
        false,
        palette::MUTED,
        HPos::Center,
        VPos::Center,
    );
    let lines = wrap(area, message, &style, width - 4 * pad);
    let line_height = m.px(28.0);
    let first = (top + bottom) / 2 - (lines.len() as i32 - 1) * line_height / 2;
    for (i, line) in lines.into_iter().enumerate() {
        put(
            area,
            m,
            line,
            (width / 2, first + i as i32 * line_height),
            style.clone(),
        )?;
    }
    Ok(())
}

/// What the y axis shows, written above it; returns the y below it.
fn draw_y_unit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    canvas: &Canvas,
    chart: &Chart,
    top: i32,
) -> Result<i32, RenderError> {
    let style = text_style(m.size(12.5), false, palette::MUTED, HPos::Left, VPos::Top);
    put(area, m, chart.y_label.clone(), (canvas.pad, top), style)?;
    Ok(top + m.px(22.0))
}

/// The top of the y axis and its ticks with their labels.
fn y_ticks(chart: &Chart) -> (f64, Vec<(f64, String)>) {
    let values = stacked_maxima(chart);
    let (mut top, step) = nice_axis(values);
    if chart.unit == Unit::Percent && values <= 100.0 {
        // A share never exceeds all of it.
        top = top.min(100.0);
    }
    let labels = ticks(top, step)
        .into_iter()
        .map(|v| (v, chart.unit.tick(v, step)))
        .collect();
    (top, labels)
}

fn tick_style(m: Metrics) -> TextStyle<'static> {
    text_style(
        m.size(12.0),
        false,
        palette::MUTED,
        HPos::Right,
        VPos::Center,
    )
}

/// The plot rectangle from `top` down: right of the widest tick label, leaving room at the
/// right for the tier names when there are bands and below for the x labels.
fn place_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    canvas: &Canvas,
    chart: &Chart,
    tick_labels: &[(f64, String)],
    top: i32,
    y_max: f64,
) -> Plot {
    let style = tick_style(m);
    let label_width = tick_labels
        .iter()
        .filter_map(|(_, t)| area.estimate_text_size(t, &style).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let has_bands = matches!(&chart.body, Body::Lines { bands, .. } if !bands.is_empty());
    let pad = canvas.pad;
    Plot {
        left: pad + label_width + m.px(8.0),
        right: canvas.width - pad - if has_bands { m.px(52.0) } else { 0 },
        top,
        bottom: canvas.height - pad - m.px(if canvas.compact { 20.0 } else { 44.0 }),
        y_max,
        n: chart.categories.len().max(1),
    }
}

/// A horizontal grid line at each tick with its label left of the plot.
fn draw_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    tick_labels: &[(f64, String)],
) -> Result<(), RenderError> {
    let style = tick_style(m);
    let grid = ShapeStyle {
        color: rgb(palette::GRID).to_rgba(),
        filled: false,
        stroke_width: 1,
    };
    for (value, label) in tick_labels {
        let py = plot.y(*value);
        area.draw(&PathElement::new(
            vec![(plot.left, py), (plot.right, py)],
            grid,
        ))
        .map_err(fail)?;
        put(
            area,
            m,
            label.clone(),
            (plot.left - m.px(6.0), py),
            style.clone(),
        )?;
    }
    Ok(())
}

/// The data: lines with their markers, stacked bars or bars.
fn draw_body<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    body: &Body,
) -> Result<(), RenderError> {
    match body {
        Body::Lines {
            series,
            previous,
            small_sample,
            partial,
            ..
        } => draw_lines(
            area,
            m,
            plot,
            series,
            previous.as_ref(),
            *small_sample,
            partial,
        ),
        Body::Stacked { layers } => draw_stacked(area, plot, layers),
        Body::Bars { series } => draw_bars(area, m, plot, series),
        Body::Empty { .. } => Ok(()),
    }
}

/// The previous period as a faint line (its lone values as dots), then each series' line over
/// whole buckets, then every series' markers on top of all lines.
fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    series: &[Series],
    previous: Option<&Series>,
    small_sample: usize,
    partial: &[bool],
) -> Result<(), RenderError> {
    if let Some(previous) = previous {
        let previous = &whole_buckets(previous, partial);
        draw_line(area, plot, previous, m.stroke(1.5), 0.75)?;
        draw_isolated(area, m, plot, previous)?;
    }
    for s in series {
        draw_line(area, plot, &whole_buckets(s, partial), m.stroke(2.5), 1.0)?;
    }
    for s in series {
        draw_markers(area, m, plot, s, small_sample, partial)?;
    }
    Ok(())
}

/// Each annotation as a thin vertical line across the plot with its title at the top, beside
/// the line (to its left when it would leave the plot). Titles step down a row each, three rows
/// in turn, so neighbouring ones do not overwrite each other.
fn draw_annotations<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    markers: &[super::model::Marker],
) -> Result<(), RenderError> {
    let line = ShapeStyle {
        color: rgb(palette::INK).mix(0.7),
        filled: false,
        stroke_width: m.stroke(1.0),
    };
    let row = m.px(15.0);
    for (k, marker) in markers.iter().enumerate() {
        let x = plot.left + (marker.at * plot.slot()).round() as i32;
        area.draw(&PathElement::new(
            vec![(x, plot.top), (x, plot.bottom)],
            line,
        ))
        .map_err(fail)?;
        let y = plot.top + m.px(2.0) + (k % 3) as i32 * row;
        let right = text_style(m.size(11.5), true, palette::INK, HPos::Left, VPos::Top);
        let width = area
            .estimate_text_size(&marker.label, &right)
            .map_or(marker.label.len() as i32 * 7, |(w, _)| w as i32);
        let (style, at) = if x + m.px(4.0) + width <= plot.right {
            (right, (x + m.px(4.0), y))
        } else {
            let left = text_style(m.size(11.5), true, palette::INK, HPos::Right, VPos::Top);
            (left, (x - m.px(4.0), y))
        };
        put(area, m, marker.label.clone(), at, style)?;
    }
    Ok(())
}

/// The plot rectangle in pixels and the mapping of values into it.
struct Plot {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    y_max: f64,
    /// Categories along x.
    n: usize,
}

impl Plot {
    fn slot(&self) -> f64 {
        f64::from(self.right - self.left) / self.n as f64
    }
    /// The centre of category `i`.
    fn x(&self, i: usize) -> i32 {
        self.left + ((i as f64 + 0.5) * self.slot()).round() as i32
    }
    fn y(&self, value: f64) -> i32 {
        let fraction = (value / self.y_max).clamp(0.0, 1.0);
        self.bottom - (fraction * f64::from(self.bottom - self.top)).round() as i32
    }
}

/// The largest value the y axis must hold: stacks add up, lines and bars do not.
fn stacked_maxima(chart: &Chart) -> f64 {
    let value = |p: &Option<Point>| p.map_or(0.0, |p| p.value);
    match &chart.body {
        Body::Lines {
            series, previous, ..
        } => series
            .iter()
            .chain(previous)
            .flat_map(|s| s.points.iter().map(value))
            .fold(0.0, f64::max),
        Body::Stacked { layers } => (0..chart.categories.len())
            .map(|i| {
                layers
                    .iter()
                    .map(|l| l.points.get(i).map_or(0.0, value))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max),
        Body::Bars { series } => series.points.iter().map(value).fold(0.0, f64::max),
        Body::Empty { .. } => 0.0,
    }
}

/// The top of the y axis and its tick step: 1, 2, 2.5 or 5 times a power of ten, about five
/// ticks, with a little headroom above the largest value.
pub fn nice_axis(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    };
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

fn ticks(top: f64, step: f64) -> Vec<f64> {
    let n = (top / step).round() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// A legend entry: a swatch (line, hollow marker or filled block) and its label.
enum Swatch {
    Line(Rgb, u32),
    Hollow(Rgb),
    Block(Rgb),
}

fn legend_entries(chart: &Chart) -> Vec<(Swatch, String)> {
    match &chart.body {
        Body::Lines {
            series,
            previous,
            small_sample,
            partial,
            ..
        } => {
            let mut out: Vec<(Swatch, String)> = series
                .iter()
                .map(|s| (Swatch::Line(s.colour, 3), s.name.clone()))
                .collect();
            if let Some(p) = previous {
                out.push((Swatch::Line(p.colour, 2), p.name.clone()));
            }
            let hollow = series
                .iter()
                .flat_map(|s| s.points.iter().flatten())
                .any(|p| p.samples < *small_sample);
            let cut = partial.iter().any(|p| *p);
            let label = match (hollow, cut) {
                (true, true) => format!("fewer than {small_sample} samples, or a partial bucket"),
                (true, false) => format!("fewer than {small_sample} samples"),
                (false, true) => "partial bucket (the period cuts it)".to_string(),
                (false, false) => String::new(),
            };
            if hollow || cut {
                out.push((Swatch::Hollow(palette::MUTED), label));
            }
            out
        }
        Body::Stacked { layers } => layers
            .iter()
            .map(|l| (Swatch::Block(l.colour), l.name.clone()))
            .collect(),
        Body::Bars { .. } | Body::Empty { .. } => Vec::new(),
    }
}

/// Draws the legend left to right from (`x`, `y`), wrapping at `right`; returns the y below it.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    entries: &[(Swatch, String)],
    left: i32,
    top: i32,
    right: i32,
) -> Result<i32, RenderError> {
    let style = text_style(m.size(12.5), false, palette::INK, HPos::Left, VPos::Center);
    let row = m.px(20.0);
    let swatch = m.px(18.0);
    let (mut x, mut y) = (left, top + row / 2);
    for (kind, label) in entries {
        let text_width = area
            .estimate_text_size(label, &style)
            .map_or(label.len() as i32 * 7, |(w, _)| w as i32);
        let entry_width = swatch + m.px(6.0) + text_width + m.px(18.0);
        if x > left && x + entry_width > right {
            x = left;
            y += row;
        }
        match kind {
            Swatch::Line(c, w) => {
                let s = ShapeStyle {
                    color: rgb(*c).to_rgba(),
                    filled: false,
                    stroke_width: m.stroke(f64::from(*w)),
                };
                area.draw(&PathElement::new(vec![(x, y), (x + swatch, y)], s))
                    .map_err(fail)?;
            }
            Swatch::Hollow(c) => {
                let s = ShapeStyle {
                    color: rgb(*c).to_rgba(),
                    filled: false,
                    stroke_width: m.stroke(1.5),
                };
                area.draw(&Circle::new((x + swatch / 2, y), m.px(4.0), s))
                    .map_err(fail)?;
            }
            Swatch::Block(c) => {
                let h = m.px(6.0);
                area.draw(&Rectangle::new(
                    [(x, y - h), (x + swatch, y + h)],
                    rgb(*c).filled(),
                ))
                .map_err(fail)?;
            }
        }
        put(
            area,
            m,
            label.clone(),
            (x + swatch + m.px(6.0), y),
            style.clone(),
        )?;
        x += entry_width;
    }
    Ok(y + row / 2)
}

/// Shades each tier's band of y values and names it at the right edge.
fn draw_bands<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    bands: &[Band],
) -> Result<(), RenderError> {
    let label = text_style(
        m.size(11.5),
        false,
        palette::MUTED,
        HPos::Left,
        VPos::Center,
    );
    for band in bands {
        if band.low >= plot.y_max {
            continue;
        }
        let (y0, y1) = (plot.y(band.high.min(plot.y_max)), plot.y(band.low));
        if y1 - y0 < 1 {
            continue;
        }
        area.draw(&Rectangle::new(
            [(plot.left, y0), (plot.right, y1)],
            rgb(tier_tint(band.tier)).filled(),
        ))
        .map_err(fail)?;
        if y1 - y0 >= m.px(14.0) {
            put(
                area,
                m,
                band.tier.as_str().to_string(),
                (plot.right + m.px(6.0), (y0 + y1) / 2),
                label.clone(),
            )?;
        }
    }
    Ok(())
}

/// The x axis: its line, category labels under it, every k-th one so that none overlap, and
/// its name.
fn draw_x_axis<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    chart: &Chart,
    with_name: bool,
) -> Result<(), RenderError> {
    let axis = ShapeStyle {
        color: rgb(palette::MUTED).to_rgba(),
        filled: false,
        stroke_width: 1,
    };
    area.draw(&PathElement::new(
        vec![(plot.left, plot.bottom), (plot.right, plot.bottom)],
        axis,
    ))
    .map_err(fail)?;
    let style = text_style(m.size(12.0), false, palette::MUTED, HPos::Center, VPos::Top);
    let widest = chart
        .categories
        .iter()
        .filter_map(|c| area.estimate_text_size(c, &style).ok())
        .map(|(w, _)| f64::from(w))
        .fold(0.0, f64::max);
    let every = ((widest + f64::from(m.px(10.0))) / plot.slot())
        .ceil()
        .max(1.0) as usize;
    for (i, label) in chart.categories.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let x = plot.x(i);
        area.draw(&PathElement::new(
            vec![(x, plot.bottom), (x, plot.bottom + m.px(4.0))],
            axis,
        ))
        .map_err(fail)?;
        put(
            area,
            m,
            label.clone(),
            (x, plot.bottom + m.px(7.0)),
            style.clone(),
        )?;
    }
    if !with_name {
        return Ok(());
    }
    let name = text_style(m.size(12.0), false, palette::MUTED, HPos::Center, VPos::Top);
    put(
        area,
        m,
        chart.x_label.clone(),
        ((plot.left + plot.right) / 2, plot.bottom + m.px(25.0)),
        name,
    )?;
    Ok(())
}

/// The series without its partial buckets' values: the trend line joins whole buckets only.
fn whole_buckets(series: &Series, partial: &[bool]) -> Series {
    Series {
        points: series
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| p.filter(|_| !partial.get(i).copied().unwrap_or(false)))
            .collect(),
        ..series.clone()
    }
}

/// A series as a line, broken where a bucket has no value.
fn draw_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: &Plot,
    series: &Series,
    stroke: u32,
    opacity: f64,
) -> Result<(), RenderError> {
    let style = ShapeStyle {
        color: rgb(series.colour).mix(opacity),
        filled: false,
        stroke_width: stroke,
    };
    let flush = |run: &mut Vec<(i32, i32)>| -> Result<(), RenderError> {
        if run.len() > 1 {
            area.draw(&PathElement::new(std::mem::take(run), style))
                .map_err(fail)?;
        }
        run.clear();
        Ok(())
    };
    let mut run: Vec<(i32, i32)> = Vec::new();
    for i in 0..plot.n {
        match series.points.get(i).copied().flatten() {
            Some(p) => run.push((plot.x(i), plot.y(p.value))),
            None => flush(&mut run)?,
        }
    }
    flush(&mut run)?;
    Ok(())
}

/// A small dot for each value with no neighbour to draw a line to (the previous period has no
/// markers of its own).
fn draw_isolated<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    series: &Series,
) -> Result<(), RenderError> {
    let value = |i: usize| series.points.get(i).copied().flatten();
    for i in 0..plot.n {
        let Some(p) = value(i) else { continue };
        let alone = (i == 0 || value(i - 1).is_none()) && value(i + 1).is_none();
        if alone {
            area.draw(&Circle::new(
                (plot.x(i), plot.y(p.value)),
                m.px(2.5).max(1),
                rgb(series.colour).mix(0.75).filled(),
            ))
            .map_err(fail)?;
        }
    }
    Ok(())
}

/// One marker per value: filled, or hollow when it rests on fewer than `small_sample` samples
/// or on a partial bucket.
fn draw_markers<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    series: &Series,
    small_sample: usize,
    partial: &[bool],
) -> Result<(), RenderError> {
    let radius = m.px(4.0).max(2);
    for (i, p) in series.points.iter().enumerate().take(plot.n) {
        let Some(p) = p else { continue };
        let at = (plot.x(i), plot.y(p.value));
        if p.samples >= small_sample && !partial.get(i).copied().unwrap_or(false) {
            area.draw(&Circle::new(at, radius, rgb(series.colour).filled()))
                .map_err(fail)?;
        } else {
            area.draw(&Circle::new(at, radius, RGBColor(255, 255, 255).filled()))
                .map_err(fail)?;
            let ring = ShapeStyle {
                color: rgb(series.colour).to_rgba(),
                filled: false,
                stroke_width: m.stroke(1.8),
            };
            area.draw(&Circle::new(at, radius, ring)).map_err(fail)?;
        }
    }
    Ok(())
}

fn bar_half_width(plot: &Plot) -> i32 {
    ((plot.slot() * 0.36).round() as i32).max(1)
}

/// Bars stacked per category, first layer at the bottom.
fn draw_stacked<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: &Plot,
    layers: &[Series],
) -> Result<(), RenderError> {
    let half = bar_half_width(plot);
    for i in 0..plot.n {
        let mut base = 0.0;
        for layer in layers {
            let Some(Some(p)) = layer.points.get(i) else {
                continue;
            };
            if p.value <= 0.0 {
                continue;
            }
            let (y0, y1) = (plot.y(base + p.value), plot.y(base));
            area.draw(&Rectangle::new(
                [(plot.x(i) - half, y0), (plot.x(i) + half, y1)],
                rgb(layer.colour).filled(),
            ))
            .map_err(fail)?;
            base += p.value;
        }
    }
    Ok(())
}

/// One bar per category with its count written above it.
fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Metrics,
    plot: &Plot,
    series: &Series,
) -> Result<(), RenderError> {
    let half = bar_half_width(plot);
    let label = text_style(
        m.size(12.0),
        false,
        palette::INK,
        HPos::Center,
        VPos::Bottom,
    );
    for (i, p) in series.points.iter().enumerate().take(plot.n) {
        let Some(p) = p else { continue };
        let y0 = plot.y(p.value);
        if p.value > 0.0 {
            area.draw(&Rectangle::new(
                [(plot.x(i) - half, y0), (plot.x(i) + half, plot.bottom)],
                rgb(series.colour).filled(),
            ))
            .map_err(fail)?;
        }
        put(
            area,
            m,
            Unit::Count.tick(p.value, 1.0),
            (plot.x(i), y0 - m.px(3.0)),
            label.clone(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod pinned;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axis_rounds_up_to_a_readable_step() {
        assert_eq!(nice_axis(0.0), (1.0, 0.2));
        let (top, step) = nice_axis(13.4);
        assert_eq!(step, 5.0);
        assert_eq!(top, 15.0);
        let (top, step) = nice_axis(37.8);
        assert_eq!((top, step), (50.0, 10.0));
        let (top, step) = nice_axis(0.42);
        assert!((step - 0.1).abs() < 1e-12 && (top - 0.5).abs() < 1e-12);
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
