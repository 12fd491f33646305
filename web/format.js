// Numbers, durations, dates and periods as people say them, and what each metric means.
// Pure functions: no DOM, no fetch.

/**
 * The five metrics under DORA's current names, in the order the page shows them: throughput
 * (change lead time, deployment frequency, failed deployment recovery time), then instability
 * (change fail rate, deployment rework rate). `key` is the metrics JSON key, unchanged.
 */
export const METRICS = [
  {
    key: "lead_time",
    group: "throughput",
    title: "Change lead time",
    short: "Lead time",
    plain: "How long a change takes from first commit to production (median).",
    better: "lower",
    unit: "seconds",
    value: (m) => m.median_seconds,
    sample: (m) => `${m.changes} change${m.changes === 1 ? "" : "s"}`,
    series: (p) => p.median_seconds,
  },
  {
    key: "deployment_frequency",
    group: "throughput",
    title: "Deployment frequency",
    short: "Deploys / week",
    plain: "How often a change reaches production.",
    better: "higher",
    unit: "per_week",
    value: (m) => m.per_week,
    sample: (m) => `${m.deployments} deployment${m.deployments === 1 ? "" : "s"}`,
    series: (p) => p.per_week,
  },
  {
    key: "time_to_restore",
    group: "throughput",
    title: "Failed deployment recovery time",
    short: "Recovery time",
    plain: "How long it takes to recover when a deployment breaks production (median).",
    better: "lower",
    unit: "seconds",
    value: (m) => m.median_seconds,
    sample: (m) =>
      `${m.incidents} incident${m.incidents === 1 ? "" : "s"}, ${m.rollbacks} rollback${m.rollbacks === 1 ? "" : "s"}`,
    series: (p) => p.median_seconds,
  },
  {
    key: "change_failure_rate",
    group: "instability",
    title: "Change fail rate",
    short: "Fail rate",
    plain: "Share of deployments that caused a failure in production.",
    better: "lower",
    unit: "ratio",
    value: (m) => m.rate,
    sample: (m) => `${m.failed} of ${m.deployments} deployment${m.deployments === 1 ? "" : "s"}`,
    series: (p) => p.rate,
  },
  {
    key: "rework_rate",
    group: "instability",
    title: "Deployment rework rate",
    short: "Rework rate",
    plain: "Share of deployments that were unplanned fixes: reverts, hotfixes, rollbacks.",
    better: "lower",
    unit: "ratio",
    value: (m) => m.rate,
    sample: (m) => `${m.rework} of ${m.deployments} deployment${m.deployments === 1 ? "" : "s"}`,
    series: (p) => p.rate,
  },
];

/** DORA's two groups of the metrics (since 2024), in page order. */
export const GROUPS = [
  { key: "throughput", title: "Throughput", plain: "How quickly changes reach production and recover from failure." },
  { key: "instability", title: "Instability", plain: "How often deployments fail or need unplanned rework." },
];

export const METRIC_BY_KEY = Object.fromEntries(METRICS.map((m) => [m.key, m]));

export const TIER_LABEL = { elite: "Elite", high: "High", medium: "Medium", low: "Low" };

/** Trims a fixed-decimals number: 14.0 -> "14", 14.25 -> "14.3". */
function trim(n, decimals) {
  const s = n.toFixed(decimals);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** Seconds as people say them: "45 s", "38 min", "14.5 hours", "3.2 days". */
export function duration(seconds) {
  if (seconds == null) return "–";
  const s = Math.max(0, seconds);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) {
    const h = s / 3600;
    return `${trim(h, h < 10 ? 1 : 0)} ${h < 1.05 ? "hour" : "hours"}`;
  }
  const d = s / 86400;
  return `${trim(d, d < 10 ? 1 : 0)} days`;
}

/** A compact duration for tables: "38m", "14.5h", "3.2d". */
export function durationShort(seconds) {
  if (seconds == null) return "–";
  const s = Math.max(0, seconds);
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m`;
  if (s < 48 * 3600) return `${trim(s / 3600, s < 36000 ? 1 : 0)}h`;
  return `${trim(s / 86400, s < 864000 ? 1 : 0)}d`;
}

export function percent(ratio) {
  if (ratio == null) return "–";
  const p = ratio * 100;
  return `${trim(p, p < 10 ? 1 : 0)}%`;
}

export function perWeek(n) {
  if (n == null) return "–";
  return trim(n, n < 10 ? 1 : 0);
}

/** A target value in words: "under 1 day", "at least 10 per week". */
export function formatTarget(standing) {
  const def = METRIC_BY_KEY[standing.metric];
  const word = standing.direction === "at_least" ? "at least" : "at most";
  const v = standing.target;
  if (def.unit === "per_week") return `${word} ${perWeek(v)} per week`;
  if (def.unit === "ratio") return `${word} ${percent(v)}`;
  return `${word} ${roundDuration(v)}`;
}

/** A goal's duration as people set it: "1 day", "12 hours", "30 min". */
export function roundDuration(seconds) {
  const unit = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (seconds >= 86400 && seconds % 86400 === 0) return unit(seconds / 86400, "day");
  if (seconds >= 3600 && seconds % 3600 === 0) return unit(seconds / 3600, "hour");
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return duration(seconds);
}

/**
 * A metric's headline figure as the API shows it (`m.shown`: the engine's one rounding, which
 * never makes a figure read as another tier), with its unit word.
 */
export function shownValue(def, m) {
  if (!m || m.shown == null) return { text: "–", unit: "" };
  return { text: m.shown, unit: def.unit === "per_week" ? "per week" : "" };
}

/**
 * The change from the previous period, all of it the API's: whether it is better, worse or the
 * same (`m.trend`, one rule for every view) and its size (`m.change`: "3.9%", "1.5 pts", rounded
 * once in the engine). Here only the arrow's direction.
 */
export function trend(current, previous, verdict, size) {
  if (current == null || previous == null || verdict == null) return null;
  if (verdict === "same") return { dir: "same", quality: "same", text: "about the same" };
  return { dir: current > previous ? "up" : "down", quality: verdict, text: size };
}

// ---- dates ------------------------------------------------------------------------------------

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `YYYY-MM-DD` of a UTC date. */
export function iso(d) {
  return d.toISOString().slice(0, 10);
}

export function parseIso(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s || "")) return null;
  const d = new Date(`${s}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function addDays(d, n) {
  return new Date(d.getTime() + n * 86400000);
}

export function todayUtc() {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** "3 Oct 2026" from `YYYY-MM-DD`. */
export function day(s) {
  const d = parseIso(s);
  if (!d) return s || "";
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "3 Oct, 14:05" from an RFC 3339 timestamp, in UTC (the page says so). */
export function when(ts) {
  if (!ts) return "–";
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}, ${hh}:${mm}`;
}

/** "25 Aug – 22 Nov 2026" for `[from, to)`. */
export function periodLabel(from, to) {
  const a = parseIso(from);
  const b = parseIso(to);
  if (!a || !b) return `${from} – ${to}`;
  const last = addDays(b, -1);
  const sameYear = a.getUTCFullYear() === last.getUTCFullYear();
  const left = `${a.getUTCDate()} ${MONTHS[a.getUTCMonth()]}${sameYear ? "" : ` ${a.getUTCFullYear()}`}`;
  return `${left} – ${last.getUTCDate()} ${MONTHS[last.getUTCMonth()]} ${last.getUTCFullYear()}`;
}

/** The periods the selector offers. */
export const PERIODS = [
  { key: "30d", label: "Last 30 days" },
  { key: "90d", label: "Last 90 days" },
  { key: "quarter", label: "This quarter" },
  { key: "last-quarter", label: "Last quarter" },
  { key: "12m", label: "Last 12 months" },
  { key: "custom", label: "Custom…" },
];

export const BUCKETS = [
  { key: "day", label: "Day" },
  { key: "week", label: "Week" },
  { key: "month", label: "Month" },
  { key: "quarter", label: "Quarter" },
];

/**
 * `{from, to}` (`to` exclusive, ISO dates) of a period key. `today` is a UTC midnight; "last N
 * days" includes today, as the API's default does.
 */
export function resolvePeriod(key, today, custom) {
  const tomorrow = addDays(today, 1);
  const quarterStart = (d) => new Date(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1));
  switch (key) {
    case "30d":
      return { from: iso(addDays(tomorrow, -30)), to: iso(tomorrow) };
    case "12m":
      return { from: iso(addDays(tomorrow, -365)), to: iso(tomorrow) };
    case "quarter":
      return { from: iso(quarterStart(today)), to: iso(tomorrow) };
    case "last-quarter": {
      const end = quarterStart(today);
      return { from: iso(quarterStart(addDays(end, -1))), to: iso(end) };
    }
    case "custom": {
      const f = parseIso(custom && custom.from);
      const t = parseIso(custom && custom.to);
      if (f && t && f < t) return { from: iso(f), to: iso(t) };
      return { from: iso(addDays(tomorrow, -90)), to: iso(tomorrow) };
    }
    default:
      return { from: iso(addDays(tomorrow, -90)), to: iso(tomorrow) };
  }
}

/** "previous 90 days" for a period of 90 days. */
export function previousLabel(from, to) {
  const a = parseIso(from);
  const b = parseIso(to);
  if (!a || !b) return "previous period";
  const days = Math.round((b - a) / 86400000);
  return `previous ${days} day${days === 1 ? "" : "s"}`;
}
