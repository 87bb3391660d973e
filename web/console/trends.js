/* The trends charts, drawn with SVG from one answer of GET /admin/reports: the console's Home
   and the Trends page (web/reports.html, which imports this module from /console/) both draw
   with it. Labels come from data (UTM sources are typed by visitors): text goes in with
   textContent and setAttribute only, colours as SVG attributes or through the CSSOM, never a
   style attribute (the console's policy allows none). The pictures are hidden from assistive
   technology: each chart carries its figures as a table, visually hidden but for campaigns'. */

import { svg } from "./charts.js";
import { h } from "./dom.js";

// Each at least 3:1 against white (graphics, WCAG 1.4.11).
const COLORS = ["#1d6b4f", "#b06a1f", "#3b6fb6", "#b8444f", "#7a5cb0", "#1f7f86", "#8a7d3a", "#5f6b63"];
const OUTCOMES = ["sent", "delivered", "opened", "clicked", "bounced", "soft_bounced", "complained", "unsubscribed"];
const number = new Intl.NumberFormat("en-GB");
const named = (key) => key[0].toUpperCase() + key.slice(1).replace("_", " ");
const clip = (text, length) => (text.length > length ? text.slice(0, length - 1) + "…" : text);

function clear(figure) {
  for (const child of [...figure.children]) if (child.localName !== "figcaption") child.remove();
}

function nothing(figure, what) {
  clear(figure);
  figure.append(h("p", { class: "empty" }, what));
}

/** The figure emptied but for its caption, and an SVG as wide as the figure's content, so its
    text keeps its size on a phone. */
function frame(figure, height) {
  clear(figure);
  const style = getComputedStyle(figure);
  const inner = figure.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const width = inner > 0 ? Math.max(280, Math.round(inner)) : 560;
  const plot = svg("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true", focusable: "false" });
  figure.append(plot);
  return { plot, width };
}

function label(x, y, value, anchor = "start") {
  const node = svg("text", { x, y, "text-anchor": anchor });
  node.textContent = String(value);
  return node;
}

function titled(node, title) {
  const tip = svg("title");
  tip.textContent = title;
  node.append(tip);
  return node;
}

function legend(names, colors = COLORS) {
  return h("ul", { class: "legend" }, names.map((name, i) => {
    const swatch = h("span", { class: "swatch" });
    swatch.style.backgroundColor = colors[i % colors.length];  // the CSSOM, allowed by the policy
    return h("li", {}, swatch, name);
  }));
}

/** The chart's figures for screen readers and copy-paste: `head` names the columns, a row is
    its name then its counts. */
function hiddenTable(figure, head, rows, note = "") {
  const caption = figure.querySelector("figcaption").textContent + note;
  figure.append(h("div", { class: "visually-hidden" }, h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.map(([name, ...counts]) => h("tr", { "data-row": name },
      h("th", { scope: "row" }, name), counts.map((n) => h("td", {}, number.format(n)))))))));
}

/** Counts per day (`days` oldest first): stacked bars when the series are parts of one whole
    (sign-ups by source), lines when they count different things (sent, opened). */
function perDay(figure, days, series, { lines = false, none }) {
  const sums = days.map((_, d) => series.reduce((sum, s) => sum + s.counts[d], 0));
  const most = Math.max(0, ...(lines ? series.flatMap((s) => s.counts) : sums));
  if (!most) return nothing(figure, none);
  const height = 220, left = 40, bottom = 24, top = 10;
  const { plot, width } = frame(figure, height);
  const base = height - bottom, step = (width - left - 4) / days.length, barW = Math.max(1, step * 0.8);
  const y = (n) => base - (n / most) * (base - top);
  plot.append(svg("line", { x1: left, y1: base, x2: width, y2: base, class: "axis" }),
    label(left - 4, top + 8, number.format(most), "end"), label(left - 4, base, 0, "end"));
  if (lines) series.forEach((s, i) => {
    const fill = COLORS[i % COLORS.length], x = (d) => (left + d * step + step / 2).toFixed(1);
    const points = s.counts.map((n, d) => x(d) + "," + y(n).toFixed(1)).join(" ");
    plot.append(svg("polyline", { points, fill: "none", stroke: fill, "stroke-width": 2, "data-series": s.key }));
    s.counts.forEach((n, d) => {
      if (n) plot.append(titled(svg("circle", { cx: x(d), cy: y(n), r: 3, fill }), `${days[d]} · ${s.label}: ${n}`));
    });
  });
  if (!lines) days.forEach((day, d) => {
    let under = base;  // the top of the day's bar so far
    series.forEach((s, i) => {
      const tall = base - y(s.counts[d]);
      if (!tall) return;
      under -= tall;
      const bar = svg("rect", { x: left + d * step, y: under, width: barW, height: tall,
        fill: COLORS[i % COLORS.length], "data-series": s.key });
      plot.append(titled(bar, `${day} · ${s.label}: ${s.counts[d]}`));
    });
  });
  const ticks = [[0, "start"], [Math.floor(days.length / 2), "middle"], [days.length - 1, "end"]];
  for (const [d, anchor] of days.length > 2 ? ticks : ticks.slice(-1)) {
    const x = anchor === "end" ? width : left + d * step + (anchor === "middle" ? barW / 2 : 0);
    plot.append(label(x, height - 6, days[d], anchor));
  }
  figure.append(legend(series.map((s) => `${s.label} (${number.format(s.counts.reduce((a, b) => a + b, 0))})`)));
  const busy = days.map((day, d) => [day, ...series.map((s) => s.counts[d])]).filter((_, d) => sums[d]);
  hiddenTable(figure, ["Day", ...series.map((s) => s.label)], busy, " (days with none left out)");
}

/** Horizontal bars: a label, the bar, the count; where the next group starts. */
function hbars(plot, width, rows, y0, color) {
  const most = Math.max(1, ...rows.map((r) => r.value));
  rows.forEach((row, i) => {
    const y = y0 + i * 24, w = (row.value / most) * (width - 200);
    plot.append(label(130, y + 14, clip(row.label, 22), "end"),
      svg("rect", { x: 136, y: y + 3, width: Math.max(w, row.value ? 2 : 0), height: 16, fill: color, "data-row": row.label }),
      label(140 + w, y + 15, number.format(row.value)));
  });
  return y0 + rows.length * 24;
}

function signups(figure, report) {
  const { days, series } = report.signups_by_source;
  perDay(figure, days, series.map((s) => ({ key: s.key, label: s.key, counts: s.counts })),
    { none: "No sign-ups in these days: they are counted as visitors submit a form." });
}

function list(figure, report) {
  const counts = report.funnel.per_day;
  const series = [["signed_up", "Signed up"], ["confirmed", "Confirmed"], ["unsubscribed", "Unsubscribed"]];
  perDay(figure, report.signups_by_source.days,
    series.map(([key, name]) => ({ key, label: name, counts: counts[key] })),
    { lines: true, none: "No sign-ups, confirmations or unsubscribes in these days." });
}

function mails(figure, report) {
  const { days, outcomes } = report.campaigns;
  perDay(figure, days, OUTCOMES.map((key) => ({ key, label: named(key), counts: outcomes[key] })),
    { lines: true, none: "No campaign mail in these days: a campaign's mails are counted as it sends." });
}

function funnel(figure, report) {
  const { steps, stages_now: now, unsubscribed, days } = report.funnel;
  const rows = steps.map((s) => ({ label: s.label, value: s.count }))
    .concat(now.map((s) => ({ label: "Now " + s.stage, value: s.contacts })));
  if (!rows.some((r) => r.value)) return nothing(figure, "No one has signed up yet: share a form.");
  const { plot, width } = frame(figure, rows.length * 24 + 40);
  const y = hbars(plot, width, rows.slice(0, steps.length), 4, COLORS[0]);
  plot.append(svg("line", { x1: 0, y1: y + 8, x2: width, y2: y + 8, class: "axis" }));
  hbars(plot, width, rows.slice(steps.length), y + 16, COLORS[2]);
  const period = `In the last ${days} days (${number.format(unsubscribed)} unsubscribed)`;
  figure.append(legend([period, "Contacts per stage now"], [COLORS[0], COLORS[2]]));
  hiddenTable(figure, ["Step", "Contacts"], rows.map((r) => [r.label, r.value]));
}

function scores(figure, report) {
  const { buckets } = report.scores;
  const most = Math.max(0, ...buckets.map((b) => b.contacts));
  if (!most) return nothing(figure, "No contact has a score yet.");
  const height = 220, bottom = 36, top = 16;
  const { plot, width } = frame(figure, height);
  const step = width / buckets.length, base = height - bottom;
  plot.append(svg("line", { x1: 0, y1: base, x2: width, y2: base, class: "axis" }));
  buckets.forEach((b, i) => {
    const tall = (b.contacts / most) * (base - top), x = i * step + step * 0.1, middle = x + step * 0.4;
    const bar = svg("rect", { x, y: base - tall, width: step * 0.8, height: tall, fill: COLORS[2], "data-bucket": b.from });
    plot.append(titled(bar, `${b.label}: ${b.contacts}`));
    if (b.contacts) plot.append(label(middle, base - tall - 3, number.format(b.contacts), "middle"));
    plot.append(label(middle, base + 14, b.from < 0 ? "<0" : b.from >= 100 ? "100+" : b.from, "middle"));
  });
  hiddenTable(figure, ["Score", "Contacts"], buckets.map((b) => [b.label, b.contacts]));
}

function campaigns(figure, report) {
  const { totals, campaigns: busiest } = report.campaigns;
  const rows = OUTCOMES.map((o) => ({ label: named(o), value: totals[o] || 0 }));
  if (!rows.some((r) => r.value)) return nothing(figure, "No campaign sent in these days.");
  const { plot, width } = frame(figure, rows.length * 24 + 8);
  hbars(plot, width, rows, 4, COLORS[1]);
  hiddenTable(figure, ["Outcome", "Mails"], rows.map((r) => [r.label, r.value]));
  const head = ["Campaign", ...OUTCOMES.map(named)].map((name) => h("th", { scope: "col" }, name));
  const row = (c) => h("tr", {}, h("td", {}, c.name || c.campaign_id),
    OUTCOMES.map((o) => h("td", {}, number.format(c[o] || 0))));
  const table = h("table", {}, h("caption", {}, "The busiest campaigns"),
    h("thead", {}, h("tr", {}, head)), h("tbody", {}, busiest.map(row)));
  // Scrolls sideways on a phone: a region reachable from the keyboard.
  figure.append(h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": "The busiest campaigns" }, table));
}

export const CHARTS = [
  { id: "signups", caption: "Sign-ups per day, by UTM source", draw: signups },
  { id: "list", caption: "Sign-ups, confirmations and unsubscribes per day", draw: list },
  { id: "mails", caption: "Campaign mail per day, and what became of it", draw: mails },
  { id: "funnel", caption: "Funnel: in the period, and contacts per stage now", draw: funnel },
  { id: "scores", caption: "Score distribution (contacts per bucket)", draw: scores },
  { id: "campaigns", caption: "Campaign results in the period", draw: campaigns },
];

/** The charts named by `ids` (every one by default) drawn in `box` from one report. */
export function drawTrends(box, report, ids = CHARTS.map((c) => c.id)) {
  const shown = CHARTS.filter((c) => ids.includes(c.id))
    .map((c) => [c, h("figure", { class: "trend", id: c.id }, h("figcaption", {}, c.caption))]);
  box.replaceChildren(...shown.map(([, figure]) => figure));
  for (const [chart, figure] of shown) chart.draw(figure, report);  // in place: drawn as wide as shown
}
