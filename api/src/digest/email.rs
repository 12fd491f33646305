//! The digest as an email: an HTML body (with the plain text beside it for mail readers that
//! show no HTML) and the 1920x1080 slide of the period attached as a PNG, built with `lettre`.

use super::Digest;
use crate::charts::render::escape;
use crate::report::narrative::Trend;
use lettre::message::{Attachment, Mailbox, MultiPart, header::ContentType};

/// The name of the attached slide.
pub const SLIDE_NAME: &str = "doraboard-slide.png";

fn trend_colour(trend: Trend) -> &'static str {
    match trend {
        Trend::Better => "#1a7f37",
        Trend::Worse => "#cf222e",
        Trend::Same | Trend::Unknown => "#57606a",
    }
}

/// The HTML body: inline styles only, as mail readers drop style sheets.
pub fn html(digest: &Digest) -> String {
    let mut rows = String::new();
    for line in &digest.lines {
        rows.push_str(&format!(
            "<tr><td style=\"padding:6px 16px 6px 0;color:#57606a\">{}</td>\
             <td style=\"padding:6px 0;color:{}\">{}</td></tr>\n",
            escape(line.metric.title()),
            trend_colour(line.trend),
            escape(&line.words(&digest.last)),
        ));
    }
    let score = digest.score.as_ref().map_or_else(String::new, |score| {
        format!("<p><strong>DORA score:</strong> {}</p>\n", escape(score))
    });
    let link = digest.link.as_ref().map_or_else(String::new, |link| {
        format!(
            "<p><a href=\"{}\" style=\"color:#0969da\">Open the report</a></p>\n",
            escape(link)
        )
    });
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family:Helvetica,Arial,sans-serif;color:#1f2328;max-width:720px\">\n\
         <h1 style=\"font-size:20px\">{title}</h1>\n\
         <p style=\"color:#57606a\">Medians, compared with {last}. The slide is attached.</p>\n\
         {score}<table style=\"border-collapse:collapse\">\n{rows}</table>\n\
         <p><strong>Biggest improvement:</strong> {improvement}</p>\n\
         <p><strong>Biggest risk:</strong> {risk}</p>\n{link}</body></html>\n",
        title = escape(&digest.title()),
        last = escape(&digest.last),
        improvement = escape(&digest.improvement_words()),
        risk = escape(&digest.risk_words()),
    )
}

/// The whole email: text and HTML alternatives, and the slide.
pub fn message(
    digest: &Digest,
    from: &Mailbox,
    to: &[Mailbox],
    slide_png: Vec<u8>,
) -> Result<lettre::Message, lettre::error::Error> {
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .subject(digest.title());
    for recipient in to {
        builder = builder.to(recipient.clone());
    }
    let png = ContentType::parse("image/png").expect("a constant, valid content type");
    builder.multipart(
        MultiPart::mixed()
            .multipart(MultiPart::alternative_plain_html(
                digest.text(),
                html(digest),
            ))
            .singlepart(Attachment::new(SLIDE_NAME.to_string()).body(slide_png, png)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_body_escapes_names_and_colours_the_trend() {
        let page = html(&crate::digest::tests::sample());
        assert!(
            page.contains(
                "<h1 style=\"font-size:20px\">Delivery digest · R&amp;D &lt;core&gt; team"
            ),
            "{page}"
        );
        assert!(page.contains("<td style=\"padding:6px 0;color:#1a7f37\">8.2 a week, up 12% from 7.3 a week last week: better</td>"), "{page}");
        assert!(
            page.contains(
                "<strong>Biggest improvement:</strong> R&amp;D &lt;core&gt; deployed more."
            ),
            "{page}"
        );
        assert!(
            page.contains(
                "href=\"https://dora.example.com/api/v1/report?from=2026-11-23&amp;to=2026-11-30\""
            ),
            "{page}"
        );
        assert!(
            page.contains("<p><strong>DORA score:</strong> 7.4 / 10, industry average 4.5</p>"),
            "{page}"
        );
        assert!(!page.contains("<core>"), "{page}");
    }
}
