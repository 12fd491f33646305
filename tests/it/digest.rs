//! The digest end to end: what it says on hand-computed figures, the Block Kit message a fake
//! webhook receiver gets, the email a fake SMTP server gets (HTML body and the slide attached),
//! retries and the exit code when a channel fails, and the schedule's once-per-period claim on
//! both backends. Every server binds 127.0.0.1 on port 0; nothing reaches the network.

use crate::support;

use api::digest::channels::{Channel, Channels, Retry, deliver};
use api::digest::schedule::send_due;
use api::digest::{Digest, last_full};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use engine::config::DigestPeriod;
use engine::period::Period;
use engine::store::DigestClaim;
use mail_parser::MimeHeaders;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Org, at, caused_by_deployment, deploy, incident, pr, sha};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

// ---- a fake webhook receiver ----------------------------------------------------------------

/// The secret part of the fake webhook's URL: it must never show in output.
const HOOK_SECRET: &str = "T000-B000-s3cretp4th";

/// Records every JSON body posted to `/services/{secret}` and answers the queued statuses in
/// turn (200 once the queue is empty, or `always` when set).
#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    always: Option<u16>,
}

impl Receiver {
    #[expect(
        clippy::disallowed_methods,
        reason = "a fake webhook receiver, not the API's router"
    )]
    async fn start(self) -> (Receiver, String) {
        async fn hook(
            State(r): State<Receiver>,
            axum::Json(body): axum::Json<serde_json::Value>,
        ) -> StatusCode {
            r.bodies.lock().expect("lock").push(body);
            let queued = r.statuses.lock().expect("lock").pop_front();
            let code = r.always.or(queued).unwrap_or(200);
            StatusCode::from_u16(code).expect("status")
        }
        let app = axum::Router::new()
            .route("/services/{secret}", post(hook))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (self, format!("http://{addr}/services/{HOOK_SECRET}"))
    }

    fn answering(statuses: &[u16]) -> Receiver {
        Receiver {
            statuses: Arc::new(Mutex::new(statuses.iter().copied().collect())),
            ..Receiver::default()
        }
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().expect("lock").clone()
    }
}

// ---- a fake SMTP server ---------------------------------------------------------------------

/// One mail as the fake server received it.
#[derive(Debug, Clone)]
struct Mail {
    /// The decoded `AUTH PLAIN` credentials: `\0user\0password`.
    auth: String,
    recipients: Vec<String>,
    data: Vec<u8>,
}

/// Writes one reply; false when the client has gone.
async fn say(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    w.write_all(text.as_bytes()).await.is_ok()
}

/// Just enough SMTP for one client at a time: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
async fn smtp_server() -> (Arc<Mutex<Vec<Mail>>>, u16) {
    let mails = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let mails = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let mut mail = Mail {
                    auth: String::new(),
                    recipients: Vec::new(),
                    data: Vec::new(),
                };
                if !say(&mut write, "220 fake ESMTP\r\n").await {
                    return;
                }
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_string();
                    let upper = command.to_ascii_uppercase();
                    let reply = if upper.starts_with("EHLO") {
                        "250-fake\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
                    } else if let Some(encoded) = command.strip_prefix("AUTH PLAIN ") {
                        use base64::Engine;
                        let decoded = base64::engine::general_purpose::STANDARD
                            .decode(encoded)
                            .unwrap_or_default();
                        mail.auth = String::from_utf8_lossy(&decoded).into_owned();
                        "235 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        mail.recipients.push(command[8..].trim().to_string());
                        "250 ok\r\n"
                    } else if upper == "DATA" {
                        if !say(&mut write, "354 go ahead\r\n").await {
                            return;
                        }
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                            mail.data.extend_from_slice(unstuffed.as_bytes());
                        }
                        mails.lock().expect("lock").push(mail.clone());
                        "250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = say(&mut write, "221 bye\r\n").await;
                        return;
                    } else {
                        "250 ok\r\n"
                    };
                    if !say(&mut write, reply).await {
                        return;
                    }
                }
            });
        }
    });
    (mails, port)
}

// ---- a hand-computed week -------------------------------------------------------------------

/// Team `shop`, weeks of Monday 2 March (previous) and Monday 9 March 2026 (the digest's):
///
/// | week     | deployments | lead time of each change | failed        | restored in |
/// |----------|-------------|--------------------------|---------------|-------------|
/// | 2 March  | 2           | 4 hours                  | none          | -           |
/// | 9 March  | 4           | 3 hours                  | 1 (an incident) | 1 hour    |
///
/// Moves (log ratios, docs/report.md): deployment frequency ln(4/2) = +0.69, lead time
/// ln(4/3) = +0.29, change failure rate ln((0 + 0.05) / (0.25 + 0.05)) = -1.79, rework rate
/// ln(0.05 / 0.05) = 0, time to restore: nothing to compare with. The biggest improvement is
/// deployment frequency, the biggest risk the change failure rate.
const SHOP: &str = r#"
[collector]
since = "2026-01-01"

[metrics]
small_sample = 1

[digest]
slack_webhook_env = "DIGEST_TEST_HOOK"
schedule = "0 0 8 * * Mon"
team = "shop"
dashboard_url = "https://dora.example.com"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["acme/shop"]
"#;

async fn shop() -> Org {
    let days = [
        ("2026-03-03", 4),
        ("2026-03-05", 4),
        ("2026-03-10", 3),
        ("2026-03-11", 3),
        ("2026-03-12", 3),
        ("2026-03-13", 3),
    ];
    let mut changes = Vec::new();
    let mut deployments = Vec::new();
    for (i, (day, hours)) in days.iter().enumerate() {
        let n = i as i64 + 1;
        let tag = format!("s{n}");
        let first = format!("{day}T{:02}:00:00Z", 12 - hours);
        changes.push(pr(
            "acme/shop",
            n,
            &sha(&tag),
            &first,
            &format!("{day}T11:00:00Z"),
        ));
        let mut d = deploy(
            "acme/shop",
            &format!("d{n}"),
            &sha(&tag),
            &format!("{day}T12:00:00Z"),
        );
        d.declared_changes = Some(vec![format!("acme/shop#{n}")]);
        deployments.push(d);
    }
    let outage = caused_by_deployment(
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-12T13:00:00Z",
            Some("2026-03-12T14:00:00Z"),
        ),
        "d5",
    );
    let mut org = Org::load(SHOP, changes, deployments, vec![outage]).await;
    // Wednesday 18 March: the last full week is the week of 9 March.
    org.config.clock = Some(at("2026-03-18T10:00:00Z"));
    org
}

fn week_of_9_march() -> Period {
    last_full(
        DigestPeriod::Week,
        Period::parse_date("2026-03-18").expect("date"),
    )
}

async fn shop_digest(org: &Org) -> (Digest, api::report::Report) {
    let scope = org.config.scope(Some("shop")).expect("scope");
    let report = api::report::build(&org.store, &org.config, &scope, week_of_9_march())
        .await
        .expect("report");
    let digest = Digest::from_report(&report, org.config.digest.dashboard_url.as_deref());
    (digest, report)
}

fn slack_only(url: String) -> Channels {
    let config = engine::config::Config::from_toml_str(
        "[digest]\nslack_webhook_env = \"DIGEST_TEST_HOOK\"",
        "test",
    )
    .expect("config");
    let mut channels =
        Channels::from_config_with(&config.digest, move |_| Some(url.clone())).expect("channels");
    channels.retry = Retry {
        attempts: 3,
        backoff: Duration::from_millis(1),
    };
    channels
}

/// The five lines, the two highlights and the link, word for word.
async fn the_digest_says_the_hand_computed_figures() {
    let org = shop().await;
    let (digest, _) = shop_digest(&org).await;
    assert_eq!(
        digest.title(),
        "Delivery digest · Shop team · 9 – 15 Mar 2026"
    );
    assert_eq!(
        digest.text(),
        "Delivery digest · Shop team · 9 – 15 Mar 2026\n\
         DORA score: 7.9 / 10, All industries average 6.7\n\
         • Change lead time: 3.0 hours, down 25% from 4.0 hours last week: better · score 8.0 / 10\n\
         • Deployment frequency: 4.0 a week, up 100% from 2.0 a week last week: better · score \
         6.0 / 10\n\
         • Failed deployment recovery time: 60 min, nothing to compare with last week · score 8.0 \
         / 10\n\
         • Change fail rate: 25.0%, up 25 pts from 0% last week: worse · score 7.5 / 10\n\
         • Deployment rework rate: 0%, about the same as last week (0%) · score 10.0 / 10\n\
         Biggest improvement: Shop deployed to production 4 times, 4.0 a week, up from 2.0 a \
         week last week.\n\
         Biggest risk: 25.0% of Shop's deployments caused a failure in production (1 of 4), up \
         from 0% last week.\n\
         Report: https://dora.example.com/api/v1/report?from=2026-03-09&to=2026-03-16&team=shop\n"
    );
}

/// The Block Kit message: header, five fields, the highlights and the link; the plain text too.
async fn the_webhook_gets_a_block_kit_message() {
    let org = shop().await;
    let (digest, report) = shop_digest(&org).await;
    let (receiver, url) = Receiver::default().start().await;
    let outcomes = deliver(&slack_only(url), &[Channel::Slack], &digest, &report).await;
    assert!(outcomes[0].error.is_none(), "{outcomes:?}");
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert_eq!(body["text"], digest.text());
    let blocks = body["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["text"], digest.title());
    let fields = blocks[2]["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 5);
    assert_eq!(
        fields[3]["text"],
        "*Change fail rate*\n25.0%, up 25 pts from 0% last week: worse · score 7.5 / 10"
    );
    assert_eq!(
        blocks[1]["text"]["text"],
        "*DORA score:* 7.9 / 10, All industries average 6.7"
    );
    assert!(
        blocks[4]["text"]["text"]
            .as_str()
            .expect("text")
            .starts_with("*Biggest improvement:* Shop deployed to production 4 times"),
        "{body}"
    );
    assert!(
        blocks[5]["text"]["text"]
            .as_str()
            .expect("text")
            .starts_with("*Biggest risk:* 25.0% of Shop's deployments caused a failure"),
        "{body}"
    );
    assert_eq!(
        blocks[6]["elements"][0]["text"],
        "<https://dora.example.com/api/v1/report?from=2026-03-09&amp;to=2026-03-16&amp;team=shop|Open \
         the report> · medians, compared with last week"
    );
}

/// Server errors are retried (with the configured waits) until the webhook accepts; a 404 is
/// not retried and is reported.
async fn server_errors_are_retried_and_a_refusal_is_reported() {
    let org = shop().await;
    let (digest, report) = shop_digest(&org).await;
    let (receiver, url) = Receiver::answering(&[500, 503]).start().await;
    let outcomes = deliver(&slack_only(url), &[Channel::Slack], &digest, &report).await;
    assert_eq!(outcomes[0].attempts, 3);
    assert!(outcomes[0].error.is_none(), "{outcomes:?}");
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b == &bodies[0]));

    let (receiver, url) = Receiver::answering(&[404]).start().await;
    let outcomes = deliver(&slack_only(url), &[Channel::Slack], &digest, &report).await;
    assert_eq!(receiver.bodies().len(), 1);
    let error = outcomes[0].error.as_ref().expect("refused").to_string();
    assert_eq!(error, "the webhook answered HTTP 404 Not Found");

    // Nothing listening: a network error, retried, that never names the URL.
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!(
            "http://{}/services/{HOOK_SECRET}",
            listener.local_addr().expect("addr")
        )
    };
    let outcomes = deliver(&slack_only(url), &[Channel::Slack], &digest, &report).await;
    assert_eq!(outcomes[0].attempts, 3);
    let error = outcomes[0].error.as_ref().expect("unreachable").to_string();
    assert!(!error.contains(HOOK_SECRET), "{error}");
}

/// Claims are insert-if-absent per scope, period and channel; a release frees one again.
async fn a_digest_claim_is_taken_once_per_scope_period_and_channel() {
    let org = shop().await;
    let other = engine::store::testing::replica(&org.store);
    let claim = |scope: Option<&str>, channel: &str| DigestClaim {
        scope: scope.map(str::to_string),
        period: week_of_9_march(),
        channel: channel.into(),
    };
    assert!(
        org.store
            .claim_digest(&claim(None, "slack"))
            .await
            .expect("claim")
    );
    assert!(
        !other
            .claim_digest(&claim(None, "slack"))
            .await
            .expect("claim")
    );
    assert!(
        other
            .claim_digest(&claim(None, "email"))
            .await
            .expect("claim")
    );
    assert!(
        other
            .claim_digest(&claim(Some("shop"), "slack"))
            .await
            .expect("claim")
    );
    let week = week_of_9_march();
    let next_week = DigestClaim {
        period: Period::new(week.to, week.to + chrono::Days::new(7)).expect("period"),
        ..claim(None, "slack")
    };
    assert!(org.store.claim_digest(&next_week).await.expect("claim"));
    org.store
        .release_digest(&claim(None, "slack"))
        .await
        .expect("release");
    assert!(
        other
            .claim_digest(&claim(None, "slack"))
            .await
            .expect("claim")
    );
}

/// Two replicas run the schedule at the same time: the channel gets the week once. A failed
/// delivery gives the claim back, so the next run sends it.
async fn the_schedule_sends_each_period_once_across_replicas() {
    let org = shop().await;
    let replica = engine::store::testing::replica(&org.store);
    let (receiver, url) = Receiver::default().start().await;
    let channels = slack_only(url);
    let (a, b) = tokio::join!(
        send_due(&org.config, &org.store, &channels),
        send_due(&org.config, &replica, &channels),
    );
    let sent: usize = [a.expect("a"), b.expect("b")].iter().map(Vec::len).sum();
    assert_eq!(sent, 1);
    assert_eq!(receiver.bodies().len(), 1);
    assert!(
        send_due(&org.config, &org.store, &channels)
            .await
            .expect("again")
            .is_empty()
    );
    assert_eq!(receiver.bodies().len(), 1);

    // A week later, against a webhook that refuses everything: not delivered, claim released.
    let mut later = org.config.clone();
    later.clock = Some(at("2026-03-25T10:00:00Z"));
    let (refusing, url) = Receiver {
        always: Some(500),
        ..Receiver::default()
    }
    .start()
    .await;
    let outcomes = send_due(&later, &org.store, &slack_only(url))
        .await
        .expect("run");
    assert!(outcomes[0].error.is_some());
    assert_eq!(refusing.bodies().len(), 3);
    let outcomes = send_due(&later, &replica, &channels).await.expect("retry");
    assert_eq!((outcomes.len(), outcomes[0].error.is_none()), (1, true));
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies[1]["blocks"][0]["text"]["text"]
            .as_str()
            .expect("header")
            .ends_with("16 – 22 Mar 2026")
    );
}

on_both_backends!(
    the_digest_says_the_hand_computed_figures,
    the_webhook_gets_a_block_kit_message,
    server_errors_are_retried_and_a_refusal_is_reported,
    a_digest_claim_is_taken_once_per_scope_period_and_channel,
    the_schedule_sends_each_period_once_across_replicas,
);

// ---- the command ----------------------------------------------------------------------------

const DEMO_DIGEST: &str = r#"
[digest]
slack_webhook_env = "DIGEST_TEST_HOOK"
smtp_url_env = "DIGEST_TEST_SMTP"
from = "doraboard <doraboard@example.com>"
to = ["cto@example.com", "Head of Product <hop@example.com>"]
dashboard_url = "https://dora.example.com"
attempts = 2
backoff = "1s"
"#;

/// Runs `doraboard digest --demo --team checkout` with the channels of [`DEMO_DIGEST`].
async fn run_digest(hook: String, smtp_port: u16) -> std::process::Output {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("doraboard.toml");
    std::fs::write(&config, DEMO_DIGEST).expect("config");
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_doraboard"))
            .args(["digest", "--demo", "--team", "checkout", "--config"])
            .arg(&config)
            .env("DIGEST_TEST_HOOK", hook)
            .env(
                "DIGEST_TEST_SMTP",
                format!("smtp://digest:m4ilpass@127.0.0.1:{smtp_port}"),
            )
            .env("RUST_LOG", "info")
            .output()
            .expect("the binary runs");
        drop(dir);
        out
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_sends_the_webhook_and_the_email_with_the_slide() {
    let (receiver, hook) = Receiver::default().start().await;
    let (mails, port) = smtp_server().await;
    let out = run_digest(hook, port).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("sent the digest to slack (1 try)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sent the digest to email (1 try)"),
        "{stderr}"
    );

    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1);
    let header = bodies[0]["blocks"][0]["text"]["text"]
        .as_str()
        .expect("header");
    assert!(
        header.starts_with("Delivery digest · Checkout team · "),
        "{header}"
    );

    let mails = mails.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.auth, "\0digest\0m4ilpass");
    assert_eq!(
        mail.recipients,
        vec![
            "<cto@example.com>".to_string(),
            "<hop@example.com>".to_string()
        ]
    );
    let message = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a MIME message");
    assert_eq!(message.subject(), Some(header));
    let html = message.body_html(0).expect("an HTML body");
    assert!(
        html.contains("<h1 style=\"font-size:20px\">Delivery digest · Checkout team"),
        "{html}"
    );
    assert!(html.contains("Biggest improvement:"), "{html}");
    assert!(html.contains("Deployment frequency"), "{html}");
    assert!(
        html.contains("href=\"https://dora.example.com/api/v1/report?from="),
        "{html}"
    );
    let text = message.body_text(0).expect("a text body");
    assert!(text.contains("• Change lead time: "), "{text}");
    assert!(text.contains("DORA score: "), "{text}");
    let slide = message.attachments().next().expect("the slide");
    assert_eq!(slide.attachment_name(), Some("doraboard-slide.png"));
    let decoder = png::Decoder::new(std::io::Cursor::new(slide.contents().to_vec()));
    let info = decoder.read_info().expect("a PNG");
    assert_eq!((info.info().width, info.info().height), (1920, 1080));
    assert!(
        !stderr.contains(HOOK_SECRET) && !stderr.contains("m4ilpass"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_channel_fails_the_command_and_is_named_without_its_secret() {
    let (receiver, hook) = Receiver {
        always: Some(500),
        ..Receiver::default()
    }
    .start()
    .await;
    let (mails, port) = smtp_server().await;
    let out = run_digest(hook, port).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "error: the digest was not delivered to slack: the webhook answered HTTP 500 \
             Internal Server Error (2 tries)"
        ),
        "{stderr}"
    );
    // Two tries, and the other channel still got it.
    assert_eq!(receiver.bodies().len(), 2);
    assert_eq!(mails.lock().expect("lock").len(), 1);
    assert!(!stderr.contains(HOOK_SECRET), "{stderr}");
    assert!(!stderr.contains("m4ilpass"), "{stderr}");
}

#[test]
fn a_variable_not_set_is_named_before_anything_is_computed() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("doraboard.toml");
    std::fs::write(&config, DEMO_DIGEST).expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doraboard"))
        .args(["digest", "--demo", "--config"])
        .arg(&config)
        .env_remove("DIGEST_TEST_HOOK")
        .env_remove("DIGEST_TEST_SMTP")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr
            .contains("error: digest.slack_webhook_env: names DIGEST_TEST_HOOK, which is not set"),
        "{stderr}"
    );
}

#[test]
fn serve_with_a_schedule_refuses_to_start_without_its_channel() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("doraboard.toml"),
        "[digest]\nschedule = \"0 0 8 * * Mon\"\nslack_webhook_env = \"DIGEST_TEST_UNSET\"\n",
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doraboard"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DORABOARD_DATABASE_URL")
        .env_remove("DIGEST_TEST_UNSET")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr
            .contains("error: digest.slack_webhook_env: names DIGEST_TEST_UNSET, which is not set"),
        "{stderr}"
    );
}
