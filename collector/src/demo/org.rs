//! Who the demo organisation is: tribes, teams, repositories, the people and words they use, and
//! how each team works at a given date (its [`Flow`]).

use super::clock::Calendar;
use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

pub(super) struct TribeDef {
    pub slug: &'static str,
    pub name: &'static str,
}

pub(super) const TRIBES: &[TribeDef] = &[
    TribeDef {
        slug: "customer",
        name: "Customer",
    },
    TribeDef {
        slug: "commerce",
        name: "Commerce",
    },
    TribeDef {
        slug: "platform",
        name: "Platform",
    },
];

/// How a team works; [`Style::flow`] turns it into numbers for a given date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Loyalty,
    Email,
    Checkout,
    Payments,
    Catalog,
    Storefront,
    Search,
}

pub(super) struct TeamDef {
    pub slug: &'static str,
    pub name: &'static str,
    pub tribe: &'static str,
    pub tz: Tz,
    /// GitHub logins of the team's engineers.
    pub people: &'static [&'static str],
    /// The team's `targets` inline table (without braces), when it has set some.
    pub targets: Option<&'static str>,
    pub style: Style,
    /// Incidents that belong to the team rather than one repository.
    pub incidents: &'static [&'static str],
}

pub(super) const TEAMS: &[TeamDef] = &[
    TeamDef {
        slug: "loyalty",
        name: "Loyalty",
        tribe: "customer",
        tz: chrono_tz::Europe::Warsaw,
        people: &[
            "kasia-nowak",
            "tomasz-wisniewski",
            "agnieszka-wojcik",
            "michal-kaminski",
            "ola-lewandowska",
        ],
        targets: Some(r#"lead_time = "2d", change_failure_rate = 0.15"#),
        style: Style::Loyalty,
        incidents: &[
            "Partner points feed delayed",
            "Loyalty emails show stale points balance",
        ],
    },
    TeamDef {
        slug: "email",
        name: "Email",
        tribe: "customer",
        tz: chrono_tz::Europe::London,
        people: &["oliver-bennett", "amelia-hughes", "harry-clarke"],
        targets: Some(r#"lead_time = "7d", change_failure_rate = 0.20"#),
        style: Style::Email,
        incidents: &[
            "Marketing emails flagged as spam by a mailbox provider",
            "Email provider API key expired",
        ],
    },
    TeamDef {
        slug: "checkout",
        name: "Checkout",
        tribe: "commerce",
        tz: chrono_tz::America::New_York,
        people: &[
            "jordan-lee",
            "maria-gonzalez",
            "dave-kim",
            "sarah-cohen",
            "mike-obrien",
            "tanya-brooks",
        ],
        targets: Some(
            r#"lead_time = "1d", change_failure_rate = 0.10, deployment_frequency = 10.0"#,
        ),
        style: Style::Checkout,
        incidents: &[
            "Checkout conversion dropped in one region",
            "Abandoned-cart reminders not sent",
        ],
    },
    TeamDef {
        slug: "payments",
        name: "Payments",
        tribe: "commerce",
        tz: chrono_tz::UTC,
        people: &[
            "noah-andersen",
            "sofia-rossi",
            "liam-murphy",
            "ines-costa",
            "yusuf-demir",
        ],
        targets: Some(r#"lead_time = "2d", change_failure_rate = 0.10, time_to_restore = "1h""#),
        style: Style::Payments,
        incidents: &[
            "Settlement file from the payment provider missing",
            "Refunds queue backed up",
            "3-D Secure challenges failing for one card network",
        ],
    },
    TeamDef {
        slug: "catalog",
        name: "Catalog",
        tribe: "commerce",
        tz: chrono_tz::Asia::Kolkata,
        people: &["arjun-mehta", "priya-sharma", "rahul-banerjee", "sneha-das"],
        targets: None,
        style: Style::Catalog,
        incidents: &[
            "Supplier price import rejected",
            "Product feed to marketplaces stale",
        ],
    },
    TeamDef {
        slug: "storefront",
        name: "Storefront",
        tribe: "platform",
        tz: chrono_tz::Europe::Berlin,
        people: &[
            "lukas-schmidt",
            "lena-fischer",
            "jonas-weber",
            "mia-hoffmann",
            "felix-wagner",
        ],
        targets: None,
        style: Style::Storefront,
        incidents: &[
            "CDN cache purge failed",
            "Cookie banner blocks checkout button",
        ],
    },
    TeamDef {
        slug: "search",
        name: "Search",
        tribe: "platform",
        tz: chrono_tz::America::Los_Angeles,
        people: &[
            "emily-chen",
            "carlos-ramirez",
            "hannah-park",
            "josh-miller",
            "aisha-khan",
        ],
        targets: Some(r#"lead_time = "4h", change_failure_rate = 0.05"#),
        style: Style::Search,
        incidents: &[
            "Search relevance degraded for some locales",
            "Autocomplete suggestions empty",
        ],
    },
];

/// Which bot opens the repository's dependency updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bot {
    Dependabot,
    Renovate,
}

/// The package ecosystem of a repository, for dependency-update titles and branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Eco {
    Cargo,
    Npm,
    Pip,
    Gomod,
    Maven,
    Gradle,
}

impl Eco {
    /// Dependabot's folder name for the ecosystem (`dependabot/<eco>/...` branches).
    pub fn dependabot_dir(self) -> &'static str {
        match self {
            Eco::Cargo => "cargo",
            Eco::Npm => "npm_and_yarn",
            Eco::Pip => "pip",
            Eco::Gomod => "go_modules",
            Eco::Maven => "maven",
            Eco::Gradle => "gradle",
        }
    }

    /// Renovate's word for a package of the ecosystem (`Update Rust crate tokio to v1.2.3`).
    pub fn renovate_word(self) -> &'static str {
        match self {
            Eco::Cargo => "Rust crate",
            Eco::Npm | Eco::Pip | Eco::Maven | Eco::Gradle => "dependency",
            Eco::Gomod => "module",
        }
    }
}

pub(super) struct RepoDef {
    /// `acme/<name>`.
    pub name: &'static str,
    pub team: &'static str,
    /// Pull requests relative to the team's pace.
    pub weight: f64,
    /// Squash merges (the compare lists only the squash commits) or merge commits (the compare
    /// lists the pull request's commits and the merge commit).
    pub squash: bool,
    pub bot: Bot,
    pub eco: Eco,
    /// `(package, major, minor)` the bots keep up to date.
    pub packages: &'static [(&'static str, u32, u32)],
    /// What `Add ...` pull requests add.
    pub features: &'static [&'static str],
    /// What `Fix ...` pull requests fix.
    pub bugs: &'static [&'static str],
    /// Parts of the code that get refactored, measured, tested.
    pub parts: &'static [&'static str],
    pub incidents: &'static [&'static str],
    /// The last pull request number before the demo year.
    pub pr_base: i64,
}

pub(super) const REPOS: &[RepoDef] = &[
    RepoDef {
        name: "loyalty-service",
        team: "loyalty",
        weight: 1.0,
        squash: true,
        bot: Bot::Dependabot,
        eco: Eco::Gradle,
        packages: &[
            ("org.springframework.boot:spring-boot-starter-web", 3, 3),
            ("org.jetbrains.kotlin:kotlin-stdlib", 2, 0),
            ("io.micrometer:micrometer-registry-prometheus", 1, 13),
        ],
        features: &[
            "loyalty tier badges to profile",
            "birthday bonus points",
            "tier progress bar to account page",
            "points expiry reminder",
            "member-only prices to product cards",
            "referral bonus for new members",
        ],
        bugs: &[
            "tier downgrade after returned orders",
            "duplicate welcome bonus",
            "member number lookup for legacy accounts",
            "missing translations on tier page",
        ],
        parts: &[
            "tier rules",
            "member API",
            "bonus campaigns",
            "profile endpoint",
        ],
        incidents: &[
            "Loyalty API 5xx spike",
            "Member profile page times out",
            "Tier upgrades not applied",
        ],
        pr_base: 1840,
    },
    RepoDef {
        name: "points-engine",
        team: "loyalty",
        weight: 0.7,
        squash: false,
        bot: Bot::Dependabot,
        eco: Eco::Cargo,
        packages: &[("serde", 1, 0), ("tokio", 1, 47), ("sqlx", 0, 8)],
        features: &[
            "points accrual for marketplace orders",
            "points transfer between household members",
            "ledger export for finance",
            "double-points campaign window",
        ],
        bugs: &[
            "rounding in points accrual",
            "points granted twice on split shipments",
            "ledger balance after partial refunds",
            "time zone of campaign end dates",
        ],
        parts: &[
            "points ledger",
            "accrual rules",
            "redemption flow",
            "nightly expiry job",
        ],
        incidents: &[
            "Points balance incorrect after refunds",
            "Points accrual queue lag",
            "Redemptions failing at checkout",
        ],
        pr_base: 612,
    },
    RepoDef {
        name: "email-sender",
        team: "email",
        weight: 1.0,
        squash: false,
        bot: Bot::Dependabot,
        eco: Eco::Pip,
        packages: &[("jinja2", 3, 1), ("celery", 5, 4), ("boto3", 1, 35)],
        features: &[
            "order shipped email with tracking link",
            "dark-mode friendly email templates",
            "unsubscribe reasons survey",
            "back-in-stock notification",
            "localized templates for Poland",
        ],
        bugs: &[
            "broken images in Outlook",
            "double sends on retries",
            "wrong currency in order confirmation",
            "bounce handling for soft bounces",
        ],
        parts: &[
            "template renderer",
            "send queue",
            "bounce processor",
            "suppression list",
        ],
        incidents: &[
            "Order confirmation emails delayed",
            "Email send queue stuck",
            "Password reset emails not delivered",
        ],
        pr_base: 388,
    },
    RepoDef {
        name: "checkout-api",
        team: "checkout",
        weight: 1.0,
        squash: true,
        bot: Bot::Dependabot,
        eco: Eco::Gomod,
        packages: &[
            ("github.com/redis/go-redis/v9", 9, 6),
            ("google.golang.org/grpc", 1, 66),
            ("github.com/jackc/pgx/v5", 5, 6),
        ],
        features: &[
            "express checkout for returning customers",
            "address autocomplete",
            "gift message to order summary",
            "delivery slot picker",
            "order notes for couriers",
            "guest checkout email capture",
        ],
        bugs: &[
            "tax rounding for multi-item orders",
            "stale shipping quote after address change",
            "double submit on slow networks",
            "discount code case sensitivity",
        ],
        parts: &[
            "order placement",
            "shipping quotes",
            "tax calculation",
            "checkout session",
        ],
        incidents: &[
            "Checkout 5xx spike",
            "Checkout latency above SLO",
            "Orders stuck in pending",
        ],
        pr_base: 2731,
    },
    RepoDef {
        name: "cart-service",
        team: "checkout",
        weight: 0.6,
        squash: true,
        bot: Bot::Dependabot,
        eco: Eco::Gomod,
        packages: &[
            ("github.com/redis/go-redis/v9", 9, 6),
            ("go.opentelemetry.io/otel", 1, 31),
        ],
        features: &[
            "save for later",
            "cart sharing link",
            "low-stock warning in cart",
            "bundle discounts",
        ],
        bugs: &[
            "cart merge after login",
            "quantity limits for promo items",
            "cart badge count after removal",
        ],
        parts: &["cart store", "pricing client", "cart merge", "promotions"],
        incidents: &["Cart items disappearing", "Add to cart errors"],
        pr_base: 954,
    },
    RepoDef {
        name: "payments-gateway",
        team: "payments",
        weight: 1.0,
        squash: false,
        bot: Bot::Dependabot,
        eco: Eco::Maven,
        packages: &[
            ("com.fasterxml.jackson.core:jackson-databind", 2, 17),
            ("io.netty:netty-handler", 4, 1),
            ("org.postgresql:postgresql", 42, 7),
        ],
        features: &[
            "Apple Pay support",
            "BLIK payments",
            "partial captures for split shipments",
            "payment retries with a second provider",
            "refund status webhooks",
        ],
        bugs: &[
            "idempotency key reuse on retries",
            "currency conversion for refunds",
            "3-D Secure redirect on mobile",
            "timeout handling for provider callbacks",
        ],
        parts: &[
            "provider adapters",
            "refund flow",
            "fraud checks",
            "settlement reports",
        ],
        incidents: &[
            "Card payments declined",
            "Payment provider timeouts",
            "Duplicate charges reported",
            "Refunds failing",
        ],
        pr_base: 1503,
    },
    RepoDef {
        name: "catalog-service",
        team: "catalog",
        weight: 1.0,
        squash: true,
        bot: Bot::Dependabot,
        eco: Eco::Npm,
        packages: &[("express", 4, 21), ("pg", 8, 13), ("zod", 3, 23)],
        features: &[
            "product variants by size and colour",
            "bulk price import",
            "product availability by warehouse",
            "size guide per brand",
            "product badges for new arrivals",
        ],
        bugs: &[
            "variant images out of order",
            "price import for products without EAN",
            "category tree cache invalidation",
            "slow product listing for large categories",
        ],
        parts: &[
            "product API",
            "price import",
            "category tree",
            "media pipeline",
        ],
        incidents: &[
            "Product pages show wrong prices",
            "Catalog API latency high",
            "New products missing from listings",
        ],
        pr_base: 1177,
    },
    RepoDef {
        name: "storefront-web",
        team: "storefront",
        weight: 1.0,
        squash: true,
        bot: Bot::Renovate,
        eco: Eco::Npm,
        packages: &[("next", 15, 1), ("react", 19, 0), ("@sentry/nextjs", 8, 40)],
        features: &[
            "wishlist button to product cards",
            "recently viewed products carousel",
            "store locator page",
            "sticky add-to-cart bar on mobile",
            "product video player",
            "size filter to category pages",
        ],
        bugs: &[
            "layout shift on product images",
            "mega menu on tablets",
            "price format for Swiss francs",
            "infinite scroll duplicates",
        ],
        parts: &[
            "product page",
            "header navigation",
            "image loading",
            "category page",
        ],
        incidents: &[
            "Storefront 5xx spike",
            "Product pages blank on Safari",
            "Homepage slow to load",
        ],
        pr_base: 4410,
    },
    RepoDef {
        name: "search-api",
        team: "search",
        weight: 1.0,
        squash: true,
        bot: Bot::Renovate,
        eco: Eco::Cargo,
        packages: &[("tantivy", 0, 22), ("axum", 0, 8), ("tokio", 1, 47)],
        features: &[
            "typo tolerance for brand names",
            "synonyms for seasonal queries",
            "facet counts for price ranges",
            "boost for in-stock products",
            "query suggestions from popular searches",
        ],
        bugs: &[
            "ranking of exact SKU matches",
            "empty results for accented queries",
            "facet counts with active filters",
            "pagination past 1000 results",
        ],
        parts: &["query parser", "ranking", "autocomplete", "facets"],
        incidents: &[
            "Search latency above SLO",
            "Search returning empty results",
            "Autocomplete 5xx spike",
        ],
        pr_base: 3322,
    },
    RepoDef {
        name: "search-indexer",
        team: "search",
        weight: 0.5,
        squash: true,
        bot: Bot::Renovate,
        eco: Eco::Cargo,
        packages: &[("rdkafka", 0, 36), ("tantivy", 0, 22), ("serde_json", 1, 0)],
        features: &[
            "incremental reindex on price change",
            "stock level field to the index",
            "index snapshots to object storage",
        ],
        bugs: &[
            "reindex lag after bulk imports",
            "deleted products lingering in the index",
            "unicode normalization of titles",
        ],
        parts: &["indexing pipeline", "Kafka consumer", "snapshot job"],
        incidents: &["Search index lagging behind catalog", "Indexer crash loop"],
        pr_base: 801,
    },
];

pub(super) fn team(slug: &str) -> &'static TeamDef {
    TEAMS.iter().find(|t| t.slug == slug).unwrap_or(&TEAMS[0])
}

/// When a team deploys on its own schedule (hotfixes and reverts go out whenever they merge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cadence {
    /// Every merge goes out by itself, minutes later.
    Continuous,
    /// Release trains on these weekdays, at these local times (minutes after midnight).
    Weekly {
        days: &'static [Weekday],
        times: &'static [u32],
    },
    /// Every other week (even ISO weeks).
    Fortnightly { day: Weekday, time: u32 },
    /// The `nth` such weekday of every month.
    Monthly { day: Weekday, nth: u32, time: u32 },
}

/// How a team works on a given date. Durations are medians in minutes: coding, pickup and review
/// count working time (Monday to Friday, 9:00-18:00 in the team's zone), restore counts wall time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    /// Human pull requests started per working day in a repository of weight 1.
    pub prs_per_day: f64,
    pub coding: f64,
    pub pickup: f64,
    pub review: f64,
    pub commits: (u32, u32),
    pub cadence: Cadence,
    /// Chance that a deployment attempt fails and is retried.
    pub fail_attempt: f64,
    /// Chance that a successful deployment hurts production (rollback, incident, revert, hotfix).
    pub bad_deploy: f64,
    pub restore: f64,
    /// Outages not caused by a deployment, per repository and quarter.
    pub outages_per_quarter: f64,
    /// Chance of an outage in each quiet stretch of more than nine days without a deployment
    /// (the longest one always gets one when this is above 0): the attribution window finds no
    /// deployment to blame.
    pub quiet_outages: f64,
}

const WEEKDAYS: &[Weekday] = &[
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

const HOUR: f64 = 60.0;
const WORKDAY: f64 = 9.0 * HOUR;

impl Style {
    pub fn flow(self, date: NaiveDate, cal: &Calendar) -> Flow {
        match self {
            Style::Loyalty => Flow {
                prs_per_day: 1.1,
                coding: 5.0 * HOUR,
                pickup: 3.0 * HOUR,
                review: 2.5 * HOUR,
                commits: (1, 5),
                cadence: Cadence::Weekly {
                    days: &[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu],
                    times: &[11 * 60],
                },
                fail_attempt: 0.05,
                bad_deploy: 0.09,
                restore: 1.5 * HOUR,
                outages_per_quarter: 0.4,
                quiet_outages: 0.0,
            },
            // A low performer: big monthly releases, slow reviews, long lead times.
            Style::Email => Flow {
                prs_per_day: 0.6,
                coding: 1.7 * WORKDAY,
                pickup: 1.1 * WORKDAY,
                review: 0.8 * WORKDAY,
                commits: (2, 8),
                cadence: Cadence::Monthly {
                    day: Weekday::Tue,
                    nth: 2,
                    time: 10 * 60,
                },
                fail_attempt: 0.15,
                bad_deploy: 0.25,
                restore: 5.0 * HOUR,
                outages_per_quarter: 0.75,
                quiet_outages: 0.35,
            },
            // Weekly big-batch releases until the switch, then small daily deployments.
            Style::Checkout if date < cal.checkout_switch => Flow {
                prs_per_day: 1.3,
                coding: 1.5 * WORKDAY,
                pickup: 0.8 * WORKDAY,
                review: 0.7 * WORKDAY,
                commits: (3, 8),
                cadence: Cadence::Weekly {
                    days: &[Weekday::Thu],
                    times: &[14 * 60],
                },
                fail_attempt: 0.12,
                bad_deploy: 0.16,
                restore: 2.0 * HOUR,
                outages_per_quarter: 0.5,
                quiet_outages: 0.0,
            },
            Style::Checkout => Flow {
                prs_per_day: 2.0,
                coding: 1.5 * HOUR,
                pickup: 40.0,
                review: 45.0,
                commits: (1, 3),
                cadence: Cadence::Weekly {
                    days: WEEKDAYS,
                    times: &[10 * 60, 13 * 60 + 30, 16 * 60 + 30],
                },
                fail_attempt: 0.04,
                bad_deploy: 0.06,
                restore: 1.0 * HOUR,
                outages_per_quarter: 0.4,
                quiet_outages: 0.0,
            },
            // An incident-heavy quarter: more failed attempts and bad deployments, slow restores.
            Style::Payments if cal.in_bad_quarter(date) => Flow {
                prs_per_day: 1.3,
                coding: 8.0 * HOUR,
                pickup: 4.0 * HOUR,
                review: 4.0 * HOUR,
                commits: (1, 6),
                cadence: Cadence::Weekly {
                    days: &[Weekday::Tue, Weekday::Thu],
                    times: &[10 * 60 + 30],
                },
                fail_attempt: 0.22,
                bad_deploy: 0.45,
                restore: 7.0 * HOUR,
                outages_per_quarter: 6.0,
                quiet_outages: 0.0,
            },
            Style::Payments => Flow {
                prs_per_day: 1.3,
                coding: 6.0 * HOUR,
                pickup: 3.0 * HOUR,
                review: 3.0 * HOUR,
                commits: (1, 6),
                cadence: Cadence::Weekly {
                    days: &[Weekday::Tue, Weekday::Thu],
                    times: &[10 * 60 + 30],
                },
                fail_attempt: 0.05,
                bad_deploy: 0.07,
                restore: 1.5 * HOUR,
                outages_per_quarter: 0.4,
                quiet_outages: 0.0,
            },
            Style::Catalog => Flow {
                prs_per_day: 1.0,
                coding: 1.1 * WORKDAY,
                pickup: 5.0 * HOUR,
                review: 4.0 * HOUR,
                commits: (1, 6),
                cadence: Cadence::Fortnightly {
                    day: Weekday::Wed,
                    time: 11 * 60,
                },
                fail_attempt: 0.08,
                bad_deploy: 0.15,
                restore: 2.5 * HOUR,
                outages_per_quarter: 0.5,
                quiet_outages: 0.15,
            },
            Style::Storefront => Flow {
                prs_per_day: 2.0,
                coding: 4.0 * HOUR,
                pickup: 2.0 * HOUR,
                review: 1.5 * HOUR,
                commits: (1, 5),
                cadence: Cadence::Weekly {
                    days: WEEKDAYS,
                    times: &[10 * 60 + 30, 15 * 60 + 30],
                },
                fail_attempt: 0.05,
                bad_deploy: 0.07,
                restore: 1.0 * HOUR,
                outages_per_quarter: 0.5,
                quiet_outages: 0.0,
            },
            // Elite: small changes, quick reviews, every merge deployed by itself.
            Style::Search => Flow {
                prs_per_day: 2.8,
                coding: 1.5 * HOUR,
                pickup: 20.0,
                review: 25.0,
                commits: (1, 3),
                cadence: Cadence::Continuous,
                fail_attempt: 0.03,
                bad_deploy: 0.03,
                restore: 30.0,
                outages_per_quarter: 0.3,
                quiet_outages: 0.0,
            },
        }
    }
}
