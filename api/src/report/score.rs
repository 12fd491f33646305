//! The report's DORA Quick Check score: the overall score out of 10 beside the benchmark's
//! average, throughput and stability, where the scope stands, and the citation the benchmark's
//! licence asks for. `docs/report.md` describes it; `docs/metrics.md` says how it is computed.

use crate::charts::render::escape;
use engine::score::DoraScore;
use std::fmt::Write;

/// One decimal, or a dash when not scored.
pub fn one_decimal(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"))
}

/// The score section of the page, with the raw figures in `data-` attributes for machines.
pub fn section(out: &mut String, s: &DoraScore) {
    let b = &s.benchmark;
    let raw = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let standing = b.standing.as_ref();
    let _ = write!(
        out,
        "<section class=\"score\" aria-label=\"DORA Quick Check score\" data-overall=\"{}\" \
         data-throughput=\"{}\" data-stability=\"{}\" data-benchmark=\"{}\" \
         data-benchmark-mean=\"{}\">\n<h2>DORA Quick Check score</h2>\n",
        raw(s.overall),
        raw(s.throughput),
        raw(s.stability),
        escape(&b.id),
        b.overall.mean
    );
    match s.headline() {
        Some(headline) => {
            let _ = writeln!(out, "<p class=\"headline\">{}</p>", escape(&headline));
        }
        None => {
            let _ = writeln!(
                out,
                "<p class=\"headline\">Not scored: {}.</p>",
                escape(s.reason.as_deref().unwrap_or("no data"))
            );
        }
    }
    let group = |name: &str, value: Option<f64>, mean: Option<f64>| {
        format!(
            "{name} {}{}",
            one_decimal(value),
            mean.map_or_else(String::new, |m| format!(" (average {m:.1})"))
        )
    };
    let _ = writeln!(
        out,
        "<p class=\"groups\">{} · {}{}</p>",
        escape(&group(
            "Throughput",
            s.throughput,
            b.throughput.map(|t| t.mean)
        )),
        escape(&group(
            "Stability",
            s.stability,
            b.stability.map(|t| t.mean)
        )),
        standing
            .and_then(|st| st.text.as_deref())
            .map_or_else(String::new, |t| format!(" · {}", escape(t)))
    );
    let unscored: Vec<String> = [
        ("Deployment frequency", &s.deployment_frequency),
        ("Change lead time", &s.lead_time),
        ("Failed deployment recovery time", &s.time_to_restore),
        ("Change fail rate", &s.change_failure_rate),
        ("Deployment rework rate", &s.rework_rate),
    ]
    .iter()
    .filter_map(|(name, m)| m.reason.as_ref().map(|r| format!("{name}: {r}")))
    .collect();
    if !unscored.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">Not scored, so left out of the averages: {}.</p>",
            escape(&unscored.join("; "))
        );
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">Each figure is read as the answer to DORA's Quick Check question \
         and scored 0 to 10 as the Quick Check scores it; compared with {} ({}). Source: {}.</p>\n\
         </section>",
        escape(&b.name),
        b.edition,
        escape(&b.source)
    );
}
