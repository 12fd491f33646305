// doraboard's dashboard: hash routing, the period and bucket controls, and loading the views.
//
// Every view has a shareable address:
//   #/                                        the organisation overview
//   #/team/checkout?period=90d&bucket=week    a team (or #/tribe/commerce for a tribe)
//   #/team/checkout?period=custom&from=2026-08-01&to=2026-11-01   (`to` is exclusive)
// The page reads only the JSON API; charts and the report are shown when the server offers them
// (it says so in its OpenAPI document), so the page never asks for a route that is not there.

import { BUCKETS, PERIODS, addDays, day, iso, parseIso, periodLabel, previousLabel, resolvePeriod, todayUtc } from "./format.js";
import {
  annotationList,
  breakdown,
  failedDeployments,
  h,
  incidents,
  metricCards,
  scopeGrid,
  slowestChanges,
  targetsPanel,
  tribeTargetsTable,
} from "./views.js";
import { scorePanel } from "./score.js";

const view = document.getElementById("view");
const status = document.getElementById("status");
const controls = document.getElementById("controls");
const periodSelect = document.getElementById("period");
const bucketSelect = document.getElementById("bucket");
const customRange = document.getElementById("custom-range");
const fromInput = document.getElementById("from");
const throughInput = document.getElementById("through");
const jump = document.getElementById("jump");
const codeHost = (document.querySelector('meta[name="doraboard-code-host"]') || {}).content || "https://github.com";

const DEFAULTS = { period: "90d", bucket: "week" };

// ---- routing -----------------------------------------------------------------------------------------

/** The route in the address: `{kind, slug, period, from, to, bucket}`. */
function parseRoute() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  const kind = parts[0] === "team" || parts[0] === "tribe" ? parts[0] : "overview";
  const period = PERIODS.some((p) => p.key === params.get("period")) ? params.get("period") : DEFAULTS.period;
  const bucket = BUCKETS.some((b) => b.key === params.get("bucket")) ? params.get("bucket") : DEFAULTS.bucket;
  return {
    kind,
    slug: kind === "overview" ? null : decodeURIComponent(parts[1] || ""),
    period,
    custom: { from: params.get("from"), to: params.get("to") },
    bucket,
  };
}

/** The address of a route. */
function routeHash(route) {
  const path = route.kind === "overview" ? "/" : `/${route.kind}/${encodeURIComponent(route.slug)}`;
  const params = new URLSearchParams();
  params.set("period", route.period);
  if (route.period === "custom") {
    params.set("from", route.custom.from);
    params.set("to", route.custom.to);
  }
  params.set("bucket", route.bucket);
  return `#${path}?${params}`;
}

function go(changes) {
  const next = { ...parseRoute(), ...changes };
  location.hash = routeHash(next);
}

/** A link to a scope keeping the current period and bucket. */
function scopeHref(kind, slug) {
  const r = parseRoute();
  return routeHash({ ...r, kind, slug });
}

// ---- data ----------------------------------------------------------------------------------------------

class ApiError extends Error {}

async function api(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `${response.status} ${response.statusText}`;
    throw new ApiError(message);
  }
  return body;
}

let teamsPromise = null;
function teams() {
  teamsPromise = teamsPromise || api("/api/v1/teams");
  return teamsPromise;
}

/** What the server offers beyond the core API, from its OpenAPI document. */
let capabilitiesPromise = null;
function capabilities() {
  capabilitiesPromise =
    capabilitiesPromise ||
    fetch("/api/v1/openapi.json")
      .then((r) => (r.ok ? r.json() : { paths: {} }))
      .catch(() => ({ paths: {} }))
      .then((doc) => {
        const paths = Object.keys(doc.paths || {});
        return {
          charts: paths.some((p) => p.startsWith("/api/v1/charts/")),
          report: paths.includes("/api/v1/report"),
          annotations: paths.includes("/api/v1/annotations"),
        };
      });
  return capabilitiesPromise;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") q.set(k, v);
  return q.toString();
}

// ---- controls ----------------------------------------------------------------------------------------

function fillControls() {
  for (const p of PERIODS) periodSelect.append(h("option", { value: p.key }, p.label));
  for (const b of BUCKETS) bucketSelect.append(h("option", { value: b.key }, b.label));
  periodSelect.addEventListener("change", () => {
    if (periodSelect.value === "custom") {
      const r = parseRoute();
      const current = resolvePeriod(r.period, todayUtc(), r.custom);
      fromInput.value = current.from;
      throughInput.value = iso(addDays(parseIso(current.to), -1));
      customRange.hidden = false;
      fromInput.focus();
    } else {
      go({ period: periodSelect.value });
    }
  });
  bucketSelect.addEventListener("change", () => go({ bucket: bucketSelect.value }));
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    const from = parseIso(fromInput.value);
    const through = parseIso(throughInput.value);
    if (!from || !through || through < from) {
      throughInput.setCustomValidity("The last day must be on or after the first day.");
      throughInput.reportValidity();
      return;
    }
    throughInput.setCustomValidity("");
    go({ period: "custom", custom: { from: iso(from), to: iso(addDays(through, 1)) } });
  });
  jump.addEventListener("change", () => {
    const [kind, slug] = jump.value.split(":");
    if (kind === "overview") go({ kind: "overview", slug: null });
    else if (slug) go({ kind, slug });
  });
}

function syncControls(route, period, list) {
  periodSelect.value = route.period;
  bucketSelect.value = route.bucket;
  customRange.hidden = route.period !== "custom";
  if (route.period === "custom") {
    fromInput.value = period.from;
    throughInput.value = iso(addDays(parseIso(period.to), -1));
  }
  if (list && jump.options.length <= 1) {
    const tribes = list.filter((t) => t.kind === "tribe");
    for (const tribe of tribes) {
      const group = h("optgroup", { label: tribe.name });
      group.append(h("option", { value: `tribe:${tribe.slug}` }, `${tribe.name} (tribe)`));
      for (const team of list.filter((t) => t.kind === "team" && t.parent === tribe.slug)) {
        group.append(h("option", { value: `team:${team.slug}` }, team.name));
      }
      jump.append(group);
    }
    const loose = list.filter((t) => t.kind === "team" && !tribes.some((tr) => tr.slug === t.parent));
    if (loose.length) {
      const group = h("optgroup", { label: "Other teams" });
      for (const team of loose) group.append(h("option", { value: `team:${team.slug}` }, team.name));
      jump.append(group);
    }
  }
  jump.value = route.kind === "overview" ? "overview:" : `${route.kind}:${route.slug}`;
}

// ---- views ---------------------------------------------------------------------------------------------

function section(title, id, intro, ...content) {
  return h(
    "section",
    { class: "panel", "aria-labelledby": id },
    h("h2", { id }, title),
    intro ? h("p", { class: "intro" }, intro) : null,
    ...content,
  );
}

function downloads(links) {
  return h(
    "p",
    { class: "downloads" },
    h("span", { class: "muted" }, "Download CSV: "),
    links.map(([label, href], i) => [i ? " · " : "", h("a", { href, download: "" }, label)]),
  );
}

/**
 * The page's title and period. `measuredTo` is where the API stopped measuring: a period reaching
 * past today is measured up to today, and says so; the previous period has the measured length.
 */
function pageHeader(title, subtitle, period, route, extra, measuredTo) {
  const measured = measuredTo && measuredTo < period.to ? measuredTo : period.to;
  return h(
    "div",
    { class: "page-head" },
    h(
      "div",
      {},
      h("h1", { tabindex: "-1", id: "page-title" }, title),
      h(
        "p",
        { class: "subtitle" },
        subtitle ? [subtitle, " · "] : null,
        h("strong", {}, periodLabel(period.from, period.to)),
        measured < period.to
          ? h("span", { class: "measured", dataset: { measuredTo: measured } }, ` · measured up to today, ${day(iso(addDays(parseIso(measured), -1)))}`)
          : null,
        ` · compared with the ${previousLabel(period.from, measured)} · series by ${route.bucket}`,
      ),
    ),
    extra || null,
  );
}

function legend() {
  return h(
    "p",
    { class: "legend" },
    h("span", {}, "DORA tier: "),
    ["elite", "high", "medium", "low"].map((t) =>
      h("span", { class: `tier tier-${t}` }, h("span", { class: "tier-dot", "aria-hidden": "true" }), t[0].toUpperCase() + t.slice(1)),
    ),
    h("span", { class: "legend-sep" }, "·"),
    h("span", { class: "trend trend-better" }, "▲▼ better"),
    h("span", { class: "trend trend-worse" }, "▲▼ worse"),
    h("span", { class: "legend-sep" }, "·"),
    h("span", {}, h("span", { class: "small-dot" }, "*"), " small sample"),
  );
}

async function renderOverview(route, period, list, caps) {
  const q = { from: period.from, to: period.to };
  // The grid's figures for every scope in one request, however many teams there are. Without a
  // bucket: the grid shows no series, and series for every scope would multiply the payload
  // (a year by day is ~150 kB per scope). Only the organisation's cards need the series.
  const [org, all, standings, notes] = await Promise.all([
    api(`/api/v1/metrics?${query({ ...q, bucket: route.bucket })}`),
    api(`/api/v1/metrics/scopes?${query(q)}`),
    api(`/api/v1/targets?${query(q)}`),
    caps.annotations ? api(`/api/v1/annotations?${query(q)}`) : null,
  ]);
  const bySlug = Object.fromEntries(all.scopes.map((report) => [report.team, report]));
  const standingOf = Object.fromEntries(standings.teams.map((s) => [s.team, s]));
  const rows = [];
  const tribes = list.filter((e) => e.kind === "tribe");
  for (const tribe of tribes) {
    rows.push({ entry: tribe, report: bySlug[tribe.slug] });
    for (const team of list.filter((e) => e.kind === "team" && e.parent === tribe.slug)) {
      rows.push({ entry: team, report: bySlug[team.slug], standing: standingOf[team.slug] });
    }
  }
  for (const team of list.filter((e) => e.kind === "team" && !tribes.some((t) => t.slug === e.parent))) {
    rows.push({ entry: team, report: bySlug[team.slug], standing: standingOf[team.slug] });
  }
  const reportLink = caps.report
    ? h("a", { class: "button", href: `/api/v1/report?${query(q)}`, target: "_blank", rel: "noopener" }, "Executive report")
    : null;
  const teamCount = list.filter((e) => e.kind === "team").length;
  const tribeCount = tribes.length;
  return [
    pageHeader("Delivery performance", `Whole organisation: ${count(tribeCount, "tribe")}, ${count(teamCount, "team")}`, period, route, reportLink, org.measured_to),
    section("DORA metrics: throughput and instability", "headline", null, metricCards(org, { from: period.from, to: org.measured_to })),
    scoreSection(org),
    // The organisation's charts show its own annotations and those marked `inherit`.
    notes ? annotationsSection(notes.filter((a) => a.team == null || a.scope === "inherit"), list) : null,
    section(
      "Tribes and teams",
      "grid",
      "Select a tribe or team to see its charts, its slowest changes, its failed deployments and its targets.",
      legend(),
      scopeGrid(rows, period, (entry) => scopeHref(entry.kind, entry.slug)),
      downloads([
        ["all scopes", `/api/v1/metrics.csv?${query(q)}`],
        [`organisation by ${route.bucket}`, `/api/v1/metrics.csv?${query({ ...q, bucket: route.bucket })}`],
        ["targets", `/api/v1/targets.csv?${query(q)}`],
      ]),
    ),
  ];
}

/**
 * Chart images, inserted only when they load. Each is drawn at the width its card shows it (the
 * server keeps text at its design size), so a half-width card's text stays readable; the PNG is
 * slide-sized.
 */
function chartFigure(name, title, params) {
  const png = `/api/v1/charts/${name}.png?${query({ ...params, width: 1920, height: 1080 })}`;
  const figure = h("figure", { class: "chart loading", dataset: { chart: name } }, h("div", { class: "chart-slot" }));
  // The card's width is known once the view is laid out: the next frame.
  requestAnimationFrame(() => {
    const slot = figure.querySelector(".chart-slot");
    const width = Math.max(320, Math.min(1600, Math.round((slot && slot.clientWidth) || 720)));
    const height = Math.round((width * 420) / 720);
    const url = `/api/v1/charts/${name}.svg?${query({ ...params, width, height })}`;
    fetch(url)
      .then((r) => (r.ok ? r.blob() : null))
      .catch(() => null)
      .then((blob) => {
        figure.classList.remove("loading");
        if (blob && blob.size) {
          const src = URL.createObjectURL(blob);
          slot.replaceWith(h("img", { src, alt: title, width, height, dataset: { url }, onload: () => URL.revokeObjectURL(src) }));
          figure.append(h("figcaption", {}, h("a", { href: png, download: "" }, "PNG for slides")));
        } else {
          slot.replaceWith(h("p", { class: "muted chart-missing" }, `${title}: chart not available.`));
        }
      });
  });
  return figure;
}

function scoreSection(report) {
  return section(
    "DORA Quick Check score",
    "score",
    "The five figures on DORA's own 0–10 scale, against the benchmark the configuration names (metrics.benchmark).",
    scorePanel(report),
  );
}

function annotationsSection(notes, list) {
  const names = Object.fromEntries(list.map((e) => [e.slug, e.name]));
  return section("Annotations", "annotations", "What happened in the period; the charts mark each day with a labelled line.", annotationList(notes, names));
}

function chartsSection(scopeSlug, period, route) {
  const params = { team: scopeSlug, from: period.from, to: period.to, bucket: route.bucket };
  return section(
    "Trends",
    "charts",
    "Each metric over the period, by " + route.bucket + ", with the DORA tier bands behind it and the previous period as a faint line.",
    h(
      "div",
      { class: "charts" },
      chartFigure("deployment_frequency", "Deployment frequency", params),
      chartFigure("lead_time", "Change lead time", params),
      chartFigure("change_failure_rate", "Change fail rate", params),
      chartFigure("time_to_restore", "Failed deployment recovery time", params),
      chartFigure("rework_rate", "Deployment rework rate", params),
      chartFigure("lead_time_distribution", "Lead time distribution", { team: scopeSlug, from: period.from, to: period.to }),
    ),
  );
}

async function renderScope(route, period, list, caps) {
  const entry = list.find((e) => e.slug === route.slug && e.kind === route.kind) || list.find((e) => e.slug === route.slug);
  if (!entry) throw new ApiError(`There is no team or tribe called “${route.slug}”.`);
  const q = { team: entry.slug, from: period.from, to: period.to };
  const [report, standings, explained, notes] = await Promise.all([
    api(`/api/v1/metrics?${query({ ...q, bucket: route.bucket })}`),
    api(`/api/v1/targets?${query({ ...q, bucket: route.bucket })}`),
    api(`/api/v1/explain?${query(q)}`),
    caps.annotations ? api(`/api/v1/annotations?${query(q)}`) : null,
  ]);
  const parent = entry.parent ? list.find((e) => e.slug === entry.parent) : null;
  const crumbs = h(
    "nav",
    { class: "crumbs", "aria-label": "Breadcrumb" },
    h(
      "ol",
      {},
      h("li", {}, h("a", { href: routeHash({ ...route, kind: "overview", slug: null }) }, "Overview")),
      parent ? h("li", {}, h("a", { href: scopeHref("tribe", parent.slug) }, parent.name)) : null,
      h("li", { "aria-current": "page" }, entry.name),
    ),
  );
  const repos = entry.repos.length;
  const subtitle =
    entry.kind === "tribe"
      ? `Tribe of ${count(list.filter((e) => e.parent === entry.slug).length, "team")}, ${count(repos, "repository", "repositories")}`
      : `Team${parent ? ` in ${parent.name}` : ""}, ${repos} ${repos === 1 ? "repository" : "repositories"}, days cut in ${report.time_zone}`;
  const reportLink = caps.report
    ? h("a", { class: "button", href: `/api/v1/report?${query(q)}`, target: "_blank", rel: "noopener" }, "Executive report")
    : null;
  const out = [crumbs, pageHeader(entry.name, subtitle, period, route, reportLink, report.measured_to)];
  out.push(section("DORA metrics: throughput and instability", "headline", null, metricCards(report, { from: period.from, to: report.measured_to })));
  out.push(scoreSection(report));
  if (notes) out.push(annotationsSection(notes, list));
  if (entry.kind === "team") {
    const standing = standings.teams.find((t) => t.team === entry.slug);
    out.push(section("KPI targets", "targets", "The goals this team set itself, and where it stands over the period.", targetsPanel(standing, route.bucket)));
  } else {
    const members = list.filter((e) => e.kind === "team" && e.parent === entry.slug);
    const memberReports = await Promise.all(members.map((m) => api(`/api/v1/metrics?${query({ ...q, team: m.slug })}`)));
    const standingOf = Object.fromEntries(standings.teams.map((s) => [s.team, s]));
    out.push(
      section(
        "Teams",
        "grid",
        null,
        scopeGrid(
          members.map((m, i) => ({ entry: m, report: memberReports[i], standing: standingOf[m.slug] })),
          period,
          (e) => scopeHref(e.kind, e.slug),
        ),
      ),
    );
    out.push(section("KPI targets", "targets", "Each team's goals, and where it stands over the period.", tribeTargetsTable(standings.teams, (slug) => scopeHref("team", slug))));
  }
  if (caps.charts) out.push(chartsSection(entry.slug, period, route));
  out.push(
    section(
      "Where lead time goes",
      "breakdown",
      "A change's journey from first commit to production, phase by phase.",
      caps.charts
        ? h(
            "div",
            { class: "leadtime" },
            breakdown(report.lead_time),
            chartFigure("lead_time_breakdown", "Lead time by phase, per " + route.bucket, {
              team: entry.slug,
              from: period.from,
              to: period.to,
              bucket: route.bucket,
            }),
          )
        : breakdown(report.lead_time),
    ),
  );
  // From the figures, not the list: the list may be one page of a longer one.
  const counted = report.lead_time.changes;
  out.push(
    section(
      "Slowest changes",
      "changes",
      `The ten slowest of the ${counted} changes that reached production in the period. Each links to its pull request.`,
      slowestChanges(explained.changes, codeHost),
      downloads([["every change", `/api/v1/explain/changes.csv?${query(q)}`]]),
    ),
  );
  out.push(
    section(
      "Failed deployments and rollbacks",
      "failures",
      "Deployments that hurt production: an incident was blamed on them, or they were rolled back, reverted or hotfixed.",
      failedDeployments(explained.deployments, explained.rollbacks, explained.incidents),
      downloads([["every deployment", `/api/v1/explain/deployments.csv?${query(q)}`]]),
    ),
  );
  out.push(
    section(
      "Incidents",
      "incidents",
      "Incidents opened in the period, how long they lasted, and the deployment each is blamed on.",
      incidents(explained.incidents),
      downloads([["every incident", `/api/v1/explain/incidents.csv?${query(q)}`]]),
    ),
  );
  return out;
}

/** "1 team", "2 teams". */
function count(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** The first-run page: the steps the API lists, before there is anything to measure. */
function firstRun(steps) {
  return [
    h(
      "div",
      { class: "panel first-run" },
      h("h1", { tabindex: "-1", id: "page-title" }, "Nothing to measure yet"),
      h("p", {}, "doraboard shows delivery figures once it knows your teams and has their history. To get there:"),
      h("ol", { class: "steps" }, steps.map((step) => h("li", {}, step))),
      h("p", { class: "muted" }, "This page turns into the dashboard as soon as that is done: reload it."),
    ),
  ];
}

// ---- the loop --------------------------------------------------------------------------------------------

let renderToken = 0;
let lastPath = null;

async function render() {
  const token = ++renderToken;
  const route = parseRoute();
  const period = resolvePeriod(route.period, todayUtc(), route.custom);
  document.body.dataset.state = "loading";
  view.setAttribute("aria-busy", "true");
  const pathChanged = lastPath !== `${route.kind}/${route.slug}`;
  lastPath = `${route.kind}/${route.slug}`;
  try {
    const [list, caps, setup] = await Promise.all([teams(), capabilities(), api("/api/v1/setup")]);
    syncControls(route, period, list);
    // Nothing to measure yet: say what to do rather than rate an empty organisation.
    const first = setup.steps.length > 0;
    const content = first
      ? firstRun(setup.steps)
      : route.kind === "overview"
        ? await renderOverview(route, period, list, caps)
        : await renderScope(route, period, list, caps);
    if (token !== renderToken) return;
    view.replaceChildren(...content);
    const shownAs = first ? "setup" : route.kind;
    Object.assign(view.dataset, { view: shownAs, scope: route.slug || "", from: period.from, to: period.to, bucket: route.bucket });
    const title = view.querySelector("h1");
    document.title = `${title ? title.textContent : "Overview"} · doraboard`;
    status.textContent = `${title ? title.textContent : "Overview"}, ${periodLabel(period.from, period.to)}: loaded`;
    if (pathChanged && title && document.activeElement && document.activeElement.tagName === "A") title.focus({ preventScroll: false });
    document.body.dataset.state = "ready";
  } catch (error) {
    if (token !== renderToken) return;
    view.replaceChildren(
      h(
        "div",
        { class: "panel error", role: "alert" },
        h("h1", {}, "This view could not be loaded"),
        h("p", {}, error instanceof ApiError ? error.message : "The server did not answer. Is doraboard still running?"),
        h("p", {}, h("a", { href: "#/" }, "Back to the overview")),
      ),
    );
    document.body.dataset.state = "error";
  } finally {
    if (token === renderToken) view.removeAttribute("aria-busy");
  }
}

fillControls();
window.addEventListener("hashchange", render);
render();
