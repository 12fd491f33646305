// The DORA Quick Check score panel: the overall score out of 10 beside the benchmark's average,
// throughput and stability, each metric's score (or why it has none), and the citation the
// benchmark's licence asks for.

import { h } from "./views.js";
import { METRICS } from "./format.js";

/** One decimal, or a dash when not scored. */
function one(v) {
  return v == null ? "–" : v.toFixed(1);
}

/** "(average 6.3)" of a benchmark figure, when it publishes one. */
function average(stat) {
  return stat ? ` (average ${stat.mean.toFixed(1)})` : "";
}

/** What a metric's figure was read as: the Quick Check's answer, or the percentage scored. */
function readAs(m, figure) {
  if (m.score == null) return `not scored: ${m.reason}`;
  if (m.answer_text) return `${figure.shown} → “${m.answer_text}”`;
  const percent = figure.rate * 100;
  return `${figure.shown} → 10 − ${percent.toFixed(1)} ÷ 10`;
}

/** The panel of `report`'s `dora_score` (the metrics JSON). */
export function scorePanel(report) {
  const score = report.dora_score;
  const b = score.benchmark;
  const standing = b.standing && b.standing.text;
  return h(
    "div",
    {
      class: "dora-score",
      dataset: {
        overall: score.overall == null ? "" : String(score.overall),
        benchmark: b.id,
        edition: String(b.edition),
      },
    },
    h(
      "p",
      { class: "score-main" },
      score.overall == null
        ? `Not scored: ${score.reason}.`
        : `${one(score.overall)} / 10, ${b.name} average ${one(b.overall.mean)}`,
    ),
    h(
      "p",
      { class: "score-groups" },
      `Throughput ${one(score.throughput)}${average(b.throughput)} · Stability ${one(score.stability)}${average(b.stability)}`,
    ),
    standing ? h("p", { class: "score-standing" }, standing) : null,
    h(
      "table",
      { class: "score-metrics" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col", class: "num" }, "Score"), h("th", { scope: "col" }, "Read as"))),
      h(
        "tbody",
        {},
        METRICS.map((def) => {
          const m = score[def.key];
          return h(
            "tr",
            { dataset: { metric: def.key, score: m.score == null ? "" : String(m.score) } },
            h("th", { scope: "row" }, def.title),
            h("td", { class: "num" }, one(m.score)),
            h("td", { class: "muted" }, readAs(m, report[def.key])),
          );
        }),
      ),
    ),
    h(
      "p",
      { class: "muted source" },
      `Each figure read as the answer to DORA's Quick Check question and scored 0–10 as the Quick Check scores it; compared with ${b.name} (${b.edition}). Source: ${b.source}.`,
    ),
  );
}
