/* Bar charts drawn by hand: a table (caption, a label and a figure per row, so screen readers
   and copy-paste get the numbers) with an SVG bar in each row. SVG presentation attributes
   (`fill`), no style attribute: the console's policy allows no inline style. */

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const number = new Intl.NumberFormat("en-GB");

/** An SVG element with its attributes (the trends charts, trends.js, draw with it too). */
export function svg(name, attributes = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** rows: [{ label, value, of? }] — a bar per row, as a share of `of` (e.g. of sent) when
    given, else of the largest value. */
export function barChart(id, caption, rows, { of = null, unit = "" } = {}) {
  const most = of || Math.max(1, ...rows.map((r) => r.value));
  return h("div", { class: "table" }, h("table", { class: "chart", id },
    h("caption", {}, caption),
    h("tbody", {}, rows.map((row) => {
      const share = Math.min(100, (100 * row.value) / most);
      const bar = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false", class: "meter" });
      bar.append(svg("rect", { x: 0, y: 0, width: 100, height: 10, fill: "#e3ebe6" }), svg("rect", { x: 0, y: 0, width: share.toFixed(2), height: 10, fill: "#1d6b4f" }));
      return h("tr", { "data-row": row.key || row.label },
        h("th", { scope: "row" }, row.label),
        h("td", { class: "bar-cell" }, bar),
        h("td", { class: "figure" }, number.format(row.value) + unit + (of ? " (" + (Math.round(share * 10) / 10) + "%)" : "")));
    }))));
}
