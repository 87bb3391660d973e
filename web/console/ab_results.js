/* A campaign's A/B test on its page (GET /admin/campaigns/{id}'s `ab_test`): where it is
   (testing, waiting for the decision, sending the winner, winner sent), its settings, a table
   of the variants (test recipients so far, mails sent, delivered, opens, clicks, the metric,
   the difference from the best in points, each against the leader in the API's words) and,
   for marketers while no winner is chosen, "Send variant X to the rest now", asked in a
   dialog first (POST …/winner). docs/design/ab-tests.md. */

import { api } from "./api.js";
import { METRICS } from "./ab_setup.js";
import { confirmed } from "./confirm.js";
import { h, say } from "./dom.js";

const number = new Intl.NumberFormat("en-GB");
const percent = (rate) => (Math.round(rate * 1000) / 10).toLocaleString("en-GB") + "%";
const PICKABLE = ["sending", "paused", "done"]; // started: the API refuses a pick before
const BY = { tick: "at the end of the wait", marketer: "by a marketer" };

function changes(v) {
  return [v.subject && "subject “" + v.subject + "”", v.template_id && "template " + v.template_id,
    v.sender_name && "sender name " + v.sender_name].filter(Boolean).join(", ") || "the campaign as it is";
}

/** Where the test is, in a sentence (`when` formats the API's times). */
export function abState(c, when) {
  const t = c.ab_test;
  const d = t.decision;
  if (d) {
    const chosen = "Winner " + d.winner + " (chosen " + (BY[d.decided_by] || d.decided_by) + ", " + when(d.decided_at) + ")";
    if (c.state === "done") return ["winner-sent", chosen + ": sent to the rest of the audience."];
    if (c.state === "cancelled") return ["cancelled", chosen + "; the campaign was cancelled."];
    return ["winner-sending", chosen + ": sending it to the rest of the audience."];
  }
  if (c.state === "draft" || c.state === "scheduled") return ["not-started", "Not started: the variants go out when the campaign starts."];
  if (c.state === "cancelled") return ["cancelled", "Cancelled before a winner was chosen."];
  if (t.decide_at && new Date(t.decide_at) <= new Date()) return ["deciding", "Waiting for the decision: the wait ended " + when(t.decide_at) + "; the best variant is chosen within the minute."];
  return ["testing", "Testing: the best variant goes to the rest " + when(t.decide_at) + ", unless you pick one first."];
}

function table(t) {
  const metric = (METRICS[t.metric] || t.metric).split(" (")[0];
  const best = Math.max(...t.results.map((r) => r.rate));
  const winner = t.decision && t.decision.winner;
  const byId = Object.fromEntries(t.variants.map((v) => [v.id, v]));
  const head = ["Variant", "What it changes", "Recipients", "Sent", "Delivered", "Opened", "Clicked", metric[0].toUpperCase() + metric.slice(1), "Difference from the best", "Confidence"];
  // Scrolls sideways on a phone: a focusable region, so the keyboard can scroll it too.
  return h("div", { class: "table", tabindex: "0", role: "region", "aria-labelledby": "ab-caption" }, h("table", { id: "ab-results" },
    h("caption", { id: "ab-caption" }, "Variants: " + t.summary),
    h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, t.results.map((r) => h("tr", { "data-variant": r.id },
      h("th", { scope: "row" }, r.id, r.id === winner ? " (winner)" : ""),
      h("td", {}, changes(byId[r.id] || {})),
      ...["recipients", "sent", "delivered", "opened", "clicked"].map((k) => h("td", { class: "figure", "data-cell": k }, number.format(r[k] || 0))),
      h("td", { class: "figure", "data-cell": "rate" }, percent(r.rate)),
      h("td", { class: "figure", "data-cell": "difference" }, r.rate === best ? "best" : "−" + (Math.round((best - r.rate) * 1000) / 10).toLocaleString("en-GB") + " points"),
      h("td", { "data-cell": "confidence" }, r.versus_leader))))));
}

/** The test's section; `changed()` after a winner is picked (the page is read again). */
export function abSection(c, canChange, when, changed) {
  const t = c.ab_test;
  const [key, sentence] = abState(c, when);
  const problem = h("p", { id: "ab-problem", class: "error", role: "alert" });
  const pick = async (variant) => {
    problem.textContent = "";
    const yes = await confirmed("ab-confirm", "Send variant " + variant + " to the rest now?",
      "The test ends: every contact of the audience not yet mailed (outside the test and the holdout) gets variant " + variant + ", once. This cannot be undone.",
      "Send variant " + variant + " to the rest", false);
    if (!yes) return;
    try {
      await api("/admin/campaigns/" + encodeURIComponent(c.id) + "/winner", { method: "POST", body: { variant } });
      say("Variant " + variant + " goes to the rest of the audience.");
      await changed();
    } catch (error) {
      problem.textContent = error.message;
    }
  };
  const buttons = canChange && !t.decision && PICKABLE.includes(c.state)
    ? t.variants.map((v) => {
      const button = h("button", { type: "button", "data-winner": v.id }, "Send variant " + v.id + " to the rest now");
      button.addEventListener("click", () => pick(v.id));
      return button;
    }) : [];
  const each = t.test_percent / t.variants.length;
  return h("section", { id: "ab-test", "aria-labelledby": "ab-heading" },
    h("h3", { id: "ab-heading" }, "A/B test"),
    h("p", { id: "ab-state", "data-ab-state": key, tabindex: "-1" }, sentence),
    h("dl", { class: "pairs" }, [
      ["Test share", t.test_percent + "% of the audience, " + Math.round(each * 10) / 10 + "% per variant"],
      ["Holdout", t.holdout_percent ? t.holdout_percent + "% (" + number.format(t.holdout) + " held out so far)" : "none"],
      ["Winner by", METRICS[t.metric] || t.metric], ["Wait", t.wait_hours + " h" + (t.decide_at ? ", until " + when(t.decide_at) : "")],
    ].map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
    table(t),
    h("p", { class: "note" }, "Counted per variant as in the results below (each recipient once, link scanners left out); confidence is a two-proportion z-test of the leader against each variant."),
    buttons.length ? h("div", { class: "actions", id: "ab-actions" }, buttons) : null,
    problem);
}
