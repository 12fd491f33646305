//! The digest as a Slack incoming-webhook message in Block Kit: a header, the benchmark score,
//! the five figures as fields, the improvement and the risk, and the link. `text` carries the whole digest as plain
//! text too: Slack shows it in notifications, and Mattermost, which takes the same webhook
//! payload but not every block, shows it as the message.

use super::Digest;
use serde_json::{Value, json};

/// Slack cuts a header's text at this many characters.
const HEADER_LIMIT: usize = 150;

fn mrkdwn(text: String) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

/// Slack's mrkdwn escaping: `&`, `<` and `>` are control characters, in links too (Slack turns
/// `&amp;` back into `&` before following one).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The webhook's JSON body.
pub fn payload(digest: &Digest) -> Value {
    let header: String = digest.title().chars().take(HEADER_LIMIT).collect();
    let fields: Vec<Value> = digest
        .lines
        .iter()
        .map(|line| {
            mrkdwn(format!(
                "*{}*\n{}",
                line.metric.title(),
                escape(&line.words(&digest.last))
            ))
        })
        .collect();
    let mut blocks =
        vec![json!({"type": "header", "text": {"type": "plain_text", "text": header}})];
    if let Some(score) = &digest.score {
        blocks.push(json!({"type": "section", "text": mrkdwn(format!(
            "*DORA score:* {}", escape(score)
        ))}));
    }
    blocks.extend([
        json!({"type": "section", "fields": fields}),
        json!({"type": "divider"}),
        json!({"type": "section", "text": mrkdwn(format!(
            "*Biggest improvement:* {}", escape(&digest.improvement_words())
        ))}),
        json!({"type": "section", "text": mrkdwn(format!(
            "*Biggest risk:* {}", escape(&digest.risk_words())
        ))}),
    ]);
    if let Some(link) = &digest.link {
        blocks.push(json!({"type": "context", "elements": [
            mrkdwn(format!(
                "<{}|Open the report> · medians, compared with {}",
                escape(link),
                digest.last
            ))
        ]}));
    }
    json!({"text": digest.text(), "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_links_are_escaped_as_slack_asks() {
        let body = payload(&crate::digest::tests::sample());
        assert_eq!(
            body["blocks"][0]["text"]["text"],
            "Delivery digest · R&D <core> team · 23 – 29 Nov 2026"
        );
        assert_eq!(
            body["blocks"][1]["text"]["text"],
            "*DORA score:* 7.4 / 10, industry average 4.5"
        );
        assert_eq!(
            body["blocks"][4]["text"]["text"],
            "*Biggest improvement:* R&amp;D &lt;core&gt; deployed more."
        );
        assert_eq!(
            body["blocks"][5]["text"]["text"],
            "*Biggest risk:* No figure got notably worse than last week."
        );
        assert_eq!(
            body["blocks"][6]["elements"][0]["text"],
            "<https://dora.example.com/api/v1/report?from=2026-11-23&amp;to=2026-11-30|Open the \
             report> · medians, compared with last week"
        );
    }
}
