// The views: functions from API JSON to DOM. Text goes in through textContent only (never
// innerHTML), so a pull request title can never inject markup.

import {
  GROUPS,
  METRICS,
  METRIC_BY_KEY,
  TIER_LABEL,
  day,
  duration,
  durationShort,
  formatTarget,
  percent,
  perWeek,
  previousLabel,
  shownValue,
  trend,
  when,
} from "./format.js";

/** Builds an element: `h("a", {href: "#/"}, "text", child)`. */
export function h(tag, attrs, ...children) {
  const isSvg = ["svg", "polyline", "line", "circle", "path", "rect", "title"].includes(tag);
  const el = isSvg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG_NS_ATTRS = { xmlns: "http://www.w3.org/2000/svg" };

export function tierBadge(tier, compact = false, note = null) {
  if (!tier) return h("span", { class: "tier tier-none", title: "DORA publishes no tier for this metric" }, compact ? "" : "No tier");
  const title = `DORA ${TIER_LABEL[tier]} performer for this metric${note ? `. ${note}` : ""}`;
  return h(
    "span",
    { class: `tier tier-${tier}`, title },
    h("span", { class: "tier-dot", "aria-hidden": "true" }),
    compact ? h("span", { class: "sr-only" }, TIER_LABEL[tier]) : TIER_LABEL[tier],
  );
}

export function trendMark(def, m, context) {
  const current = def.value(m);
  const previous = m.previous ? def.value(m.previous) : null;
  const t = trend(current, previous, m.trend, m.change);
  if (!t) {
    const why = m.previous ? "nothing to compare" : "no earlier data";
    return h("span", { class: "trend trend-none", title: why }, context ? why : "");
  }
  const arrow = t.dir === "up" ? "▲" : t.dir === "down" ? "▼" : "≈";
  const words = t.quality === "same" ? "about the same" : `${t.dir} ${t.text}, ${t.quality}`;
  return h(
    "span",
    { class: `trend trend-${t.quality}`, title: `${words} than the ${context || "previous period"}` },
    h("span", { "aria-hidden": "true" }, `${arrow} `),
    t.quality === "same" ? "same" : t.text,
    h("span", { class: "sr-only" }, ` (${t.quality === "same" ? "no change" : `${t.dir}, ${t.quality}`})`),
    context ? h("span", { class: "trend-context" }, ` vs ${context}`) : null,
  );
}

export function smallSampleMark(metric) {
  if (!metric || !metric.small_sample) return null;
  return h(
    "span",
    { class: "small-sample", title: "Few samples in this period: one unusual change can move this figure. Read it with care." },
    "small sample",
  );
}

/**
 * A tiny line of a series, for the headline cards; buckets with nothing measured are skipped.
 * Buckets the period cuts (`partial`) are hollow dots off the line: a two-day week must not read
 * as a dip, nor a five-day one as a spike.
 */
export function sparkline(def, series) {
  const points = (series || []).map((p) => ({ v: def.series(p), partial: !!p.partial }));
  const known = points.filter((p) => p.v != null);
  if (known.filter((p) => !p.partial).length < 3) return null;
  const w = 200;
  const hgt = 36;
  const max = Math.max(...known.map((p) => p.v));
  const min = Math.min(0, ...known.map((p) => p.v));
  const span = max - min || 1;
  const step = w / Math.max(1, points.length - 1);
  const x = (i) => (i * step).toFixed(1);
  const y = (v) => (hgt - 3 - ((v - min) / span) * (hgt - 6)).toFixed(1);
  const line = points.flatMap((p, i) => (p.v == null || p.partial ? [] : [`${x(i)},${y(p.v)}`]));
  const lastWhole = points.findLastIndex((p) => p.v != null && !p.partial);
  return h(
    "svg",
    {
      ...SVG_NS_ATTRS,
      class: "spark",
      viewBox: `-3 0 ${w + 6} ${hgt}`,
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    },
    h("polyline", { points: line.join(" ") }),
    h("circle", { cx: x(lastWhole), cy: y(points[lastWhole].v), r: 2.6 }),
    points.map((p, i) =>
      p.v != null && p.partial ? h("circle", { class: "partial", cx: x(i), cy: y(p.v), r: 2.2 }) : null,
    ),
  );
}

/** The headline card of one metric. `m` is the metric object of the metrics JSON. */
export function metricCard(def, m, period) {
  const v = def.value(m);
  const f = shownValue(def, m);
  return h(
    "article",
    { class: "card metric", dataset: { metric: def.key } },
    h("h3", {}, def.title),
    h(
      "div",
      { class: "metric-main" },
      h(
        "p",
        { class: "metric-value" },
        h("span", { class: "value", dataset: { metric: def.key, value: v == null ? "" : String(v) } }, f.text),
        f.unit ? h("span", { class: "unit" }, ` ${f.unit}`) : null,
      ),
      def.key === "rework_rate" ? null : tierBadge(m.tier, false, m.tier_note),
    ),
    m.tier_note ? h("p", { class: "tier-note" }, m.tier_note) : null,
    h("p", { class: "metric-trend" }, trendMark(def, m, previousLabel(period.from, period.to))),
    h("p", { class: "metric-plain" }, def.plain),
    sparkline(def, m.series),
    h("footer", { class: "metric-foot" }, h("span", { class: "sample" }, def.sample(m)), smallSampleMark(m)),
  );
}

/** The five headline cards, in DORA's two groups: throughput, then instability. */
export function metricCards(report, period) {
  return h(
    "div",
    { class: "cards" },
    GROUPS.map((group) =>
      h(
        "section",
        { class: "card-group", dataset: { group: group.key }, "aria-label": group.title },
        h("h3", { class: "group-title" }, group.title, h("span", { class: "muted" }, ` · ${group.plain}`)),
        h(
          "div",
          { class: "group-cards", role: "list" },
          METRICS.filter((def) => def.group === group.key).map((def) => {
            const card = metricCard(def, report[def.key], period);
            card.setAttribute("role", "listitem");
            return card;
          }),
        ),
      ),
    ),
  );
}

/** One figure in the grid: value, tier dot, trend. */
function gridCell(def, m) {
  const v = def.value(m);
  const f = shownValue(def, m);
  return h(
    "td",
    { class: "num" },
    h(
      "div",
      { class: "cell" },
      def.key === "rework_rate" ? h("span", { class: "tier-spacer" }) : tierBadge(m.tier, true, m.tier_note),
      h("span", { class: "value", dataset: { metric: def.key, value: v == null ? "" : String(v) } }, f.text),
      m.small_sample ? h("span", { class: "small-dot", title: "small sample: read with care" }, "*") : null,
    ),
    h("div", { class: "cell-trend" }, trendMark(def, m, null)),
  );
}

/** The scope's DORA Quick Check score in the grid: overall out of 10, or a dash with the reason. */
function scoreCell(score) {
  const overall = score.overall;
  return h(
    "td",
    { class: "num score-cell", title: overall == null ? `Not scored: ${score.reason}` : score.benchmark.standing.text },
    h("span", { class: "score", dataset: { score: overall == null ? "" : String(overall) } }, overall == null ? "–" : overall.toFixed(1)),
  );
}

function targetsCell(standing) {
  if (!standing || standing.targets.length === 0) return h("td", { class: "targets-cell muted" }, "none set");
  const total = standing.targets.length;
  const cls = standing.missed > 0 ? "missed" : standing.met === total ? "met" : "partial";
  return h(
    "td",
    { class: `targets-cell ${cls}` },
    h("span", { class: "target-icon", "aria-hidden": "true" }, standing.missed > 0 ? "✕" : "✓"),
    ` ${standing.met} of ${total} met`,
  );
}

/**
 * The grid of tribes and teams. `rows` is `[{entry, report, standing}]` in display order with
 * `entry.kind` "tribe" or "team".
 */
export function scopeGrid(rows, period, href) {
  const head = h(
    "thead",
    {},
    h(
      "tr",
      {},
      h("th", { scope: "col" }, "Tribe / team"),
      METRICS.map((def) => h("th", { scope: "col", class: "num", title: def.plain }, def.short)),
      h("th", { scope: "col", class: "num", title: "DORA Quick Check score, 0 to 10 (10 best)" }, "Score"),
      h("th", { scope: "col" }, "KPI targets"),
    ),
  );
  const body = h(
    "tbody",
    {},
    rows.map(({ entry, report, standing }) =>
      h(
        "tr",
        { class: `row-${entry.kind}`, dataset: { scope: entry.slug } },
        h(
          "th",
          { scope: "row" },
          h("a", { href: href(entry), class: "scope-link" }, entry.name),
          entry.kind === "tribe" ? h("span", { class: "kind" }, "tribe") : null,
        ),
        METRICS.map((def) => gridCell(def, report[def.key])),
        scoreCell(report.dora_score),
        entry.kind === "team" ? targetsCell(standing) : h("td", { class: "targets-cell" }, ""),
      ),
    ),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid" },
      h("caption", { class: "sr-only" }, "Tribes and teams with their five metrics"),
      head,
      body,
    ),
  );
}

// ---- targets ---------------------------------------------------------------------------------------

function targetValue(s) {
  const def = METRIC_BY_KEY[s.metric];
  return s.shown == null ? "–" : s.shown + (def.unit === "per_week" ? " per week" : "");
}

/** A bar of value against target, the target marked. */
function targetBar(s) {
  if (s.value == null) return h("div", { class: "tbar tbar-empty" });
  const max = Math.max(s.value, s.target) * 1.25 || 1;
  const pct = (x) => `${Math.min(100, (x / max) * 100).toFixed(1)}%`;
  return h(
    "div",
    { class: `tbar tbar-${s.status}`, "aria-hidden": "true" },
    h("div", { class: "tbar-fill", style: `width:${pct(s.value)}` }),
    h("div", { class: "tbar-target", style: `left:${pct(s.target)}` }),
  );
}

const STATUS_WORD = { met: "Met", missed: "Missed", no_data: "No data" };

export function targetsPanel(standing, bucket) {
  if (!standing || standing.targets.length === 0) {
    return h(
      "p",
      { class: "muted" },
      "This team has set no KPI targets. Add them in doraboard.toml, e.g. ",
      h("code", {}, 'targets = { lead_time = "1d", change_failure_rate = 0.10 }'),
      ".",
    );
  }
  return h(
    "ul",
    { class: "targets" },
    standing.targets.map((s) => {
      const def = METRIC_BY_KEY[s.metric];
      const buckets =
        s.buckets_measured != null
          ? `met in ${s.buckets_met} of ${s.buckets_measured} whole ${bucket || "bucket"}${s.buckets_measured === 1 ? "" : "s"}`
          : null;
      return h(
        "li",
        { class: `target target-${s.status}`, dataset: { metric: s.metric, status: s.status } },
        h(
          "div",
          { class: "target-head" },
          h("span", { class: "target-name" }, def.title),
          h("span", { class: `status status-${s.status}` }, s.status === "met" ? "✓ " : s.status === "missed" ? "✕ " : "", STATUS_WORD[s.status]),
        ),
        h("div", { class: "target-now" }, targetValue(s)),
        h("div", { class: "target-goal muted" }, `Target: ${formatTarget(s)}`),
        targetBar(s),
        buckets ? h("div", { class: "target-buckets muted" }, buckets) : null,
      );
    }),
  );
}

export function tribeTargetsTable(standings, href) {
  const withTargets = standings.filter((s) => s.targets.length > 0);
  if (withTargets.length === 0) return h("p", { class: "muted" }, "No team of this tribe has set KPI targets.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list" },
      h("caption", { class: "sr-only" }, "Each team's standing against its KPI targets"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Team"), h("th", { scope: "col" }, "Target"), h("th", { scope: "col" }, "Now"), h("th", { scope: "col" }, "Standing"))),
      h(
        "tbody",
        {},
        withTargets.flatMap((t) =>
          t.targets.map((s, i) =>
            h(
              "tr",
              {},
              i === 0 ? h("th", { scope: "row", rowspan: t.targets.length }, h("a", { href: href(t.team) }, t.name)) : null,
              h("td", {}, `${METRIC_BY_KEY[s.metric].title}: ${formatTarget(s)}`),
              h("td", {}, targetValue(s)),
              h("td", {}, h("span", { class: `status status-${s.status}` }, STATUS_WORD[s.status])),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- lead-time breakdown -------------------------------------------------------------------------

const PHASES = [
  { key: "coding", label: "Coding", plain: "first commit → pull request opened" },
  { key: "pickup", label: "Waiting for review", plain: "pull request opened → first review" },
  { key: "review", label: "Review", plain: "first review → merged" },
  { key: "deploy", label: "Deploy", plain: "merged → running in production" },
];

export function breakdown(lead) {
  const b = lead.breakdown;
  const values = PHASES.map((p) => (b[p.key] && b[p.key].median_seconds) || 0);
  const total = values.reduce((a, v) => a + v, 0);
  if (!total) return h("p", { class: "muted" }, "No changes shipped in this period.");
  return h(
    "div",
    { class: "breakdown" },
    h(
      "div",
      { class: "stack", role: "img", "aria-label": PHASES.map((p, i) => `${p.label} ${duration(values[i])}`).join(", ") },
      PHASES.map((p, i) =>
        values[i] ? h("div", { class: `seg seg-${p.key}`, style: `flex-grow:${values[i]}`, title: `${p.label}: ${duration(values[i])}` }) : null,
      ),
    ),
    h(
      "dl",
      { class: "phases" },
      PHASES.map((p, i) =>
        h(
          "div",
          { class: "phase" },
          h("dt", {}, h("span", { class: `swatch seg-${p.key}`, "aria-hidden": "true" }), p.label),
          h("dd", {}, h("strong", {}, duration(values[i])), h("span", { class: "muted" }, ` ${p.plain}`)),
        ),
      ),
    ),
    h(
      "p",
      { class: "note" },
      "Medians of each phase, over the changes that have it; they need not add up to the median lead time.",
    ),
  );
}

// ---- the rows behind the figures -------------------------------------------------------------------

// A GitHub deployment's key is "owner/repo/deployments/ID": shown as its repository and "#ID".
// Any other key (an event's id) is shown once, as it is.
function deploymentName(key) {
  const i = key.indexOf("/deployments/");
  return i > 0 ? { repo: key.slice(0, i), id: `#${key.slice(i + "/deployments/".length)}` } : { repo: key, id: null };
}

function phaseBar(c) {
  const parts = [
    ["coding", c.coding_seconds],
    ["pickup", c.pickup_seconds],
    ["review", c.review_seconds],
    ["deploy", c.deploy_seconds],
  ];
  const total = parts.reduce((a, [, v]) => a + (v || 0), 0);
  if (!total) return null;
  return h(
    "div",
    { class: "stack stack-mini", "aria-hidden": "true" },
    parts.map(([k, v]) => (v ? h("div", { class: `seg seg-${k}`, style: `flex-grow:${v}`, title: `${k}: ${duration(v)}` }) : null)),
  );
}

export function slowestChanges(changes, codeHost, limit = 10) {
  const counted = changes.filter((c) => !c.excluded);
  if (counted.length === 0) return h("p", { class: "muted" }, "No changes shipped in this period.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list changes" },
      h("caption", { class: "sr-only" }, "The slowest changes of the period"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Change"),
          h("th", { scope: "col" }, "Author"),
          h("th", { scope: "col", class: "num" }, "Lead time"),
          h("th", { scope: "col" }, "Where the time went"),
          h("th", { scope: "col" }, "In production"),
        ),
      ),
      h(
        "tbody",
        {},
        counted.slice(0, limit).map((c) => {
          const url = c.number != null ? `${codeHost}/${c.repo}/pull/${c.number}` : null;
          const label = c.number != null ? `${c.repo}#${c.number}` : c.key;
          return h(
            "tr",
            {},
            h(
              "td",
              {},
              url ? h("a", { href: url, target: "_blank", rel: "noopener" }, c.title || label) : c.title || label,
              h("div", { class: "muted small" }, label),
            ),
            h("td", {}, c.author),
            h("td", { class: "num strong" }, durationShort(c.lead_time_seconds)),
            h("td", {}, phaseBar(c)),
            h("td", { class: "nowrap" }, when(c.deployed_at)),
          );
        }),
      ),
    ),
  );
}

/** Rows beyond this many are behind a "show all" button. */
const FIRST_ROWS = 8;

/** Backticks are for terminals; on the page the words are enough. */
function plain(text) {
  return (text || "").replace(/`/g, "");
}

/** A button that reveals the hidden rows of the table just before it. */
function showAll(total, what) {
  if (total <= FIRST_ROWS) return null;
  const button = h(
    "button",
    {
      type: "button",
      class: "link-button",
      "aria-expanded": "false",
      onclick: () => {
        const table = button.parentElement.previousElementSibling;
        const open = button.getAttribute("aria-expanded") === "true";
        for (const row of table.querySelectorAll("tr.more")) row.hidden = open;
        button.setAttribute("aria-expanded", String(!open));
        button.textContent = open ? `Show all ${total} ${what}` : `Show the ${FIRST_ROWS} most recent only`;
      },
    },
    `Show all ${total} ${what}`,
  );
  return h("p", { class: "more-toggle" }, button);
}

const KIND_WORD = { incident: "Incident", rollback: "Rolled back", revert: "Reverted", hotfix: "Hotfixed" };

// What restored service after a failed deployment (text, and a title with more): its rollback,
// else the first incident blamed on it that was resolved, else "–".
function restored(rollback, incidentLinks) {
  if (rollback) return { text: `rolled back after ${durationShort((new Date(rollback.restored_at) - new Date(rollback.failed_at)) / 1000)}`, title: null };
  const resolved = incidentLinks.filter((l) => l.incident.resolved_at).sort((a, b) => (a.incident.resolved_at < b.incident.resolved_at ? -1 : 1));
  if (resolved.length > 0) {
    const i = resolved[0].incident;
    const lasted = durationShort((new Date(i.resolved_at) - new Date(i.opened_at)) / 1000);
    return { text: `restored ${when(i.resolved_at)}`, title: `incident ${i.key} resolved ${lasted} after it opened` };
  }
  return { text: incidentLinks.length > 0 ? "incident still open" : "–", title: null };
}

export function failedDeployments(deployments, rollbacks, incidentLinks) {
  const failed = deployments.filter((d) => d.failed);
  const attempts = deployments.filter((d) => d.status === "failure").length;
  const restoredBy = Object.fromEntries((rollbacks || []).map((r) => [r.failed_deployment, r]));
  const blamed = (key) => (incidentLinks || []).filter((l) => l.deployment === key);
  const note =
    attempts > 0
      ? h("p", { class: "note" }, `${attempts} deployment attempt${attempts === 1 ? "" : "s"} did not reach production; they are not counted as deployments.`)
      : null;
  if (failed.length === 0) return h("div", {}, h("p", { class: "muted" }, "No deployment caused a failure in this period."), note);
  return h(
    "div",
    {},
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "list" },
        h("caption", { class: "sr-only" }, "Deployments that caused a failure, and why"),
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "Deployed"), h("th", { scope: "col" }, "Deployment"), h("th", { scope: "col" }, "Why it counts as failed"), h("th", { scope: "col" }, "Restored")),
        ),
        h(
          "tbody",
          {},
          failed
            .slice()
            .reverse()
            .map((d, index) => {
              const name = deploymentName(d.key);
              const back = restored(restoredBy[d.key], blamed(d.key));
              const kinds = [...new Set(d.failures.map((f) => f.kind))];
              return h(
                "tr",
                { class: index >= FIRST_ROWS ? "more" : null, hidden: index >= FIRST_ROWS },
                h("td", { class: "nowrap" }, when(d.finished_at)),
                h("td", {}, h("div", {}, name.repo), h("div", { class: "muted small" }, [name.id, d.sha.slice(0, 7)].filter(Boolean).join(" · "))),
                h(
                  "td",
                  {},
                  h("div", { class: "pills" }, kinds.map((k) => h("span", { class: `pill pill-${k}` }, KIND_WORD[k] || k))),
                  h("ul", { class: "reasons" }, d.failures.map((f) => h("li", {}, plain(f.reason)))),
                ),
                h("td", { class: "nowrap", title: back.title }, back.text),
              );
            }),
        ),
      ),
    ),
    showAll(failed.length, "failed deployments"),
    note,
  );
}

export function incidents(links) {
  if (!links || links.length === 0) return h("p", { class: "muted" }, "No incidents were opened in this period.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list" },
      h("caption", { class: "sr-only" }, "Incidents opened in the period"),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Incident"), h("th", { scope: "col" }, "Opened"), h("th", { scope: "col", class: "num" }, "Duration"), h("th", { scope: "col" }, "Caused by")),
      ),
      h(
        "tbody",
        {},
        links
          .slice()
          .sort((a, b) => (a.incident.opened_at < b.incident.opened_at ? 1 : -1))
          .map((l) => {
            const i = l.incident;
            const secs = i.resolved_at ? (new Date(i.resolved_at) - new Date(i.opened_at)) / 1000 : null;
            return h(
              "tr",
              {},
              h("td", {}, h("div", {}, i.title), h("div", { class: "muted small" }, [i.key, i.repo || i.team].filter(Boolean).join(" · "))),
              h("td", { class: "nowrap" }, when(i.opened_at)),
              h("td", { class: "num" }, secs == null ? h("span", { class: "pill pill-open" }, "still open") : durationShort(secs)),
              h(
                "td",
                {},
                l.deployment
                  ? h("div", {}, Object.values(deploymentName(l.deployment)).filter(Boolean).join(" "))
                  : h("div", {}, "No deployment: an outage not caused by a change"),
                l.reason ? h("div", { class: "muted small" }, plain(l.reason)) : null,
              ),
            );
          }),
      ),
    ),
  );
}

/**
 * Annotations (`GET /api/v1/annotations`): dated notes the charts mark with a labelled line.
 * `list` is by date; each says whose it is (the configuration's are marked as such).
 */
export function annotationList(list, names) {
  if (!list || list.length === 0) return h("p", { class: "muted" }, "No annotations in this period.");
  return h(
    "ul",
    { class: "annotations" },
    list.map((a) =>
      h(
        "li",
        { dataset: { annotationId: a.id == null ? "config" : String(a.id), date: a.date } },
        h("time", { datetime: a.date }, day(a.date)),
        " ",
        h("span", { class: "annotation-title" }, a.title),
        h(
          "span",
          { class: "muted small" },
          ` · ${a.team ? names[a.team] || a.team : "organisation"}${a.scope === "inherit" ? ", shown above it too" : ""}${a.source === "config" ? " · from the configuration" : ""}`,
        ),
      ),
    ),
  );
}

export { percent, perWeek };
