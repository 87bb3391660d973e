/* Home: today's and the period's figures, and the trends charts, from one GET /admin/reports
   (one read of the trend counters, as web/reports.html and `ecrm report` use it): the charts
   are the Trends page's own (trends.js). */

import { api } from "./api.js";
import { h, replace, say } from "./dom.js";
import { drawTrends } from "./trends.js";

const PERIODS = [7, 30, 90, 365];
// The score distribution is the Scoring screen's.
const CHARTS = ["signups", "list", "mails", "funnel", "campaigns"];

function sum(series, index) {
  return series.reduce((total, s) => total + (s.counts[index] || 0), 0);
}

function figures(label, rows) {
  return [
    h("h2", {}, label),
    h("dl", { class: "figures" }, rows.map(([name, value, id]) =>
      h("div", { "data-figure": id }, h("dt", {}, name), h("dd", {}, Number(value || 0).toLocaleString("en")))
    )),
  ];
}

function draw(box, report) {
  const signups = report.signups_by_source;
  const today = signups.days.length - 1;
  const outcomes = report.campaigns.outcomes;
  const totals = report.campaigns.totals;
  const steps = Object.fromEntries(report.funnel.steps.map((s) => [s.step, s.count]));
  const last = (name) => (outcomes[name] || [])[today] || 0;
  const charts = h("div", { class: "trends", id: "charts" });
  replace(box,
    figures("Today (UTC)", [
      ["Sign-ups", sum(signups.series, today), "today-signups"],
      ["Mails sent", last("sent"), "today-sent"],
      ["Opened", last("opened"), "today-opened"],
      ["Clicked", last("clicked"), "today-clicked"],
    ]),
    figures("Last " + report.days + " days", [
      ["Sign-ups", signups.total, "period-signups"],
      ["Confirmed", steps.confirmed, "period-confirmed"],
      ["Unsubscribed", report.funnel.unsubscribed, "period-unsubscribed"],
      ["Mails sent", totals.sent, "period-sent"],
      ["Delivered", totals.delivered, "period-delivered"],
      ["Opened", totals.opened, "period-opened"],
      ["Clicked", totals.clicked, "period-clicked"],
      ["Bounced", totals.bounced, "period-bounced"],
      ["Complaints", totals.complained, "period-complained"],
    ]),
    figures("Contacts now, by stage", report.funnel.stages_now.map((s) => [s.stage, s.contacts, "stage-" + s.stage])),
    signups.total || totals.sent
      ? null
      : h("p", { class: "note" }, "Nothing counted yet: sign-ups appear once a form is submitted, mail figures once a campaign sends."),
    h("h2", {}, "Trends over " + report.days + " days"),
    charts,
  );
  drawTrends(charts, report, CHARTS);  // once in the page: each chart as wide as its place
}

/** The period as a group of radio buttons: one Tab stop, the arrow keys choose. */
function periods() {
  return h("fieldset", { class: "period" },
    h("legend", {}, "Period"),
    h("div", { class: "choices" }, PERIODS.map((d) =>
      h("label", {}, h("input", { type: "radio", name: "days", value: d, checked: d === 30 }), d + " days"))));
}

export async function home(main) {
  const chooser = periods();
  const box = h("div", { id: "figures" });
  replace(main, h("h1", {}, "Home"), chooser, box);
  let asked = 0;
  async function load() {
    const days = chooser.querySelector("input:checked").value;
    const mine = ++asked;
    main.removeAttribute("data-loaded");
    say("Loading…");
    const report = await api("/admin/reports?days=" + encodeURIComponent(days));
    if (mine !== asked) return;  // a later choice is being read: this answer is out of date
    draw(box, report);
    main.dataset.loaded = "true";
    say("Figures up to today (UTC), from the trend counters.");
  }
  chooser.addEventListener("change", () => load().catch((error) => say(error.message, true)));
  await load();
}
