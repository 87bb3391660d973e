/* Campaigns: the list, newest first, a page at a time, shown by state (GET /admin/campaigns);
   a campaign's page (GET /admin/campaigns/{id}): what it sends, the actions its state allows
   (test send, send now, schedule, pause, resume, cancel, delete: POST …/<action>), live
   progress while it sends (the API polled every two seconds: sent, skipped, remaining, the
   rate measured between polls and the time left at that rate), and its results as charts
   (delivered, bounced, complained, opened, clicked, unsubscribed as shares of sent) with the
   clicks per link (GET …/links); an A/B test's variants, state and winner pick (ab_results.js);
   the schedule form, at a moment or at a time of each recipient's day (schedule.js).
   New campaigns are made by the wizard (wizard.js). */

import { abSection } from "./ab_results.js";
import { api } from "./api.js";
import { barChart } from "./charts.js";
import { h, replace, say, showRefusal } from "./dom.js";
import { lastWave, localWords, scheduleForm } from "./schedule.js";
import { identity } from "./session.js";

const PAGE = 25;
const POLL_MS = 2000;
const STATES = ["draft", "scheduled", "sending", "paused", "done", "cancelled"];
const WHEN = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const when = (text) => (text ? WHEN.format(new Date(text)) + " UTC" : "");
const number = new Intl.NumberFormat("en-GB");
const OUTCOMES = [["delivered", "Delivered"], ["bounced", "Bounced"], ["complained", "Complained"],
  ["opened", "Opened"], ["clicked", "Clicked"], ["unsubscribed", "Unsubscribed"]];

function pairs(rows) {
  return h("dl", { class: "pairs" }, rows.filter(([, v]) => v).map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))));
}

/** Sent, skipped, remaining, and the rate and time left measured between polls. */
function progressView(c, samples) {
  const p = c.progress;
  const remaining = c.state === "done" ? 0 : Math.max(0, p.audience - p.processed);
  let rate = null;
  if (samples.length >= 2) {
    const [first, last] = [samples[0], samples[samples.length - 1]];
    const seconds = (last.at - first.at) / 1000;
    if (seconds > 0 && last.processed > first.processed) rate = (last.processed - first.processed) / seconds;
  }
  const eta = rate && remaining ? Math.ceil(remaining / rate) : null;
  const waves = c.local_time && c.state !== "done" ? lastWave(c.local_time) : null;
  const figures = [
    ["sent", "Sent", number.format(c.stats.sent)],
    ["skipped", "Skipped (unsubscribed, suppressed, left the topic)", number.format(c.stats.skipped)],
    ...(c.stats.skipped_frequency_cap
      ? [["capped", "Of them, over the frequency cap", number.format(c.stats.skipped_frequency_cap)]] : []),
    ["failed", "Failed", number.format(c.stats.failed)],
    ["remaining", "Remaining", p.planning_complete || c.state === "done" ? number.format(remaining) : "being planned…"],
    ["rate", "Rate", rate ? number.format(Math.round(rate * 60)) + " a minute" : c.state === "sending" ? "measuring…" : "—"],
    ["eta", "Time left", waves ? "until the last wave, " + when(waves) : eta ? (eta < 90 ? eta + " s" : Math.ceil(eta / 60) + " min") : c.state === "done" ? "none" : "—"],
  ];
  return [
    c.local_time ? h("p", { class: "note", id: "waves-note" }, "Sent in waves: each recipient when their own clock shows " + c.local_time.time
      + " on that day; those still to come wait for theirs, the last zone (UTC−12) at " + when(lastWave(c.local_time)) + ".") : null,
    h("label", { for: "progress-bar" }, "Progress: " + p.percent + "% of " + number.format(p.audience) + " planned"),
    h("progress", { id: "progress-bar", max: 100, value: p.percent }, p.percent + "%"),
    h("dl", { class: "figures", id: "progress" }, figures.map(([key, name, value]) =>
      h("div", { "data-figure": key }, h("dt", {}, name), h("dd", {}, value)))),
  ];
}

function results(c, links) {
  const sent = Math.max(1, c.stats.sent);
  return [
    barChart("outcomes", "What became of the " + number.format(c.stats.sent) + " mails sent",
      OUTCOMES.map(([key, label]) => ({ key, label, value: c.stats[key] || 0 })), { of: sent }),
    h("p", { class: "note" }, "Opened, clicked, bounced, complained and unsubscribed count each recipient once; link scanners are left out."),
    links.length
      ? barChart("links", "Clicks per link", links.map((l) => ({ key: l.link, value: l.clicks,
        label: l.link === "personalised" ? "Links made per recipient" : l.link === "unsubscribe" ? "The unsubscribe link" : l.link })))
      : h("p", { class: "note", id: "links-none" }, "No click on a link yet."),
  ];
}

function testForm(c) {
  const to = h("input", { id: "test-to", name: "to", type: "email", autocomplete: "off", "aria-describedby": "test-to-error" });
  to.value = (identity() || {}).email || "";
  const said = h("p", { id: "test-said", class: "note", "aria-live": "polite" });
  const form = h("form", { id: "test-form", novalidate: true },
    h("label", { for: "test-to" }, "Send a test to (yourself)"), to, h("p", { id: "test-to-error", class: "error" }),
    h("button", { type: "submit" }, "Send a test"), said);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said.textContent = "";
    form.querySelector("#test-to-error").textContent = "";
    try {
      const sent = await api("/admin/campaigns/" + c.id + "/test", { method: "POST", body: { to: [to.value.trim()] } });
      said.textContent = "Sent to " + to.value.trim() + " (" + sent.message_ids.length + " mail, subject marked [Test]).";
    } catch (error) {
      showRefusal(form, error, said, { "to.0": "to" });
    }
  });
  return [h("h3", {}, "Test send"), form];
}

/** When it goes: a moment, or a local time in words with its first wave's moment (`scheduled_at`). */
function scheduled(c) {
  if (!c.local_time) return [["Scheduled for", when(c.scheduled_at)]];
  return [["When", localWords(c.local_time)], [c.started_at ? "First wave" : "First wave starts", when(c.scheduled_at)]];
}

/** In the list, under a scheduled or waved campaign's state: when it goes. */
function goesAt(c) {
  const first = c.state === "scheduled" && c.scheduled_at ? when(c.scheduled_at) : "";
  if (c.local_time && (c.state === "scheduled" || c.state === "sending")) {
    return h("small", { class: "when" }, localWords(c.local_time) + (first ? "; the first wave " + first : ""));
  }
  return first ? h("small", { class: "when" }, first) : null;
}

const ACTIONS = {
  draft: [["send", "Send now"], ["delete", "Delete"]],
  scheduled: [["send", "Send now"], ["cancel", "Cancel"]],
  sending: [["pause", "Pause"], ["cancel", "Cancel"]],
  paused: [["resume", "Resume"], ["cancel", "Cancel"]],
  done: [["delete", "Delete"]],
  cancelled: [["delete", "Delete"]],
};

/** A campaign's page; polls while it sends, as long as it is on screen. */
export async function showCampaign(area, id, canChange, onGone, lead = null) {
  const c = await api("/admin/campaigns/" + encodeURIComponent(id));
  const problem = h("p", { id: "campaign-problem", class: "error", role: "alert" });
  const samples = [];
  const progress = h("div", { id: "progress-area", "aria-live": "polite" });
  const outcome = h("div", { id: "results" });
  const abArea = h("div", { id: "ab-area" });
  let abShown = "";
  const reopen = async () => {
    await showCampaign(area, c.id, canChange, onGone);
    area.querySelector("#ab-state")?.focus();
  };
  // Drawn again only when the test's figures or state moved: a poll keeps the focus in place.
  function drawAb(campaign) {
    const seen = JSON.stringify([campaign.state, campaign.ab_test]);
    if (!campaign.ab_test || seen === abShown) return;
    abShown = seen;
    const focused = abArea.contains(document.activeElement) && document.activeElement.dataset.winner;
    replace(abArea, abSection(campaign, canChange, when, reopen));
    if (focused) abArea.querySelector(`[data-winner="${focused}"]`)?.focus();
  }
  const stateLine = h("p", { id: "campaign-state" }, "State: ", h("strong", {}, c.state), c.paused_detail ? " · " + c.paused_detail : "");
  async function act(action, body, form, { aliases = {}, reword = (name, said) => said } = {}) {
    problem.textContent = "";
    try {
      if (action === "delete") {
        await api("/admin/campaigns/" + c.id, { method: "DELETE" });
        say("Deleted " + c.name + ".");
        return onGone();
      }
      const changed = await api("/admin/campaigns/" + c.id + "/" + action, { method: "POST", body });
      say(c.name + " is " + changed.state + ".");
      await showCampaign(area, c.id, canChange, onGone);
      area.querySelector("#campaign-state").focus();
    } catch (error) {
      if (error.fields) for (const name of Object.keys(error.fields)) error.fields[name] = reword(name, error.fields[name]);
      if (!form || !showRefusal(form, error, problem, aliases)) problem.textContent = error.message;
    }
  }
  const buttons = canChange ? (ACTIONS[c.state] || []).map(([action, label]) => {
    const button = h("button", { type: "button", class: action === "delete" || action === "cancel" ? "danger" : "", "data-action": action }, label);
    button.addEventListener("click", () => act(action));
    return button;
  }) : [];
  replace(area,
    h("h2", { id: "editing", tabindex: "-1" }, "Campaign " + c.name),
    lead,
    h("p", { id: "campaign-state-wrap" }, stateLine),
    pairs([["Template", c.template_id], ["Segment", c.segment_id], ["Topic", c.topic],
      ["From", c.sender.name + " <" + c.sender.email + ">" + (c.sender.reply_to ? ", replies to " + c.sender.reply_to : "")],
      ["Created", when(c.created_at)], ...scheduled(c), ["Started", when(c.started_at)], ["Finished", when(c.finished_at)]]),
    canChange && c.state === "draft" ? testForm(c) : null,
    buttons.length ? h("div", { class: "actions", id: "campaign-actions" }, buttons) : null,
    canChange && (c.state === "draft" || c.state === "scheduled") ? scheduleForm(c, act) : null,
    problem,
    abArea,
    c.started_at ? [h("h3", {}, "Progress"), progress, h("h3", {}, "Results"), outcome] : null,
    !canChange ? h("p", { class: "note" }, "Read only: sending and test sends are for marketers.") : null);
  stateLine.setAttribute("tabindex", "-1");
  drawAb(c);
  if (!c.started_at) return;
  let current = c;
  async function poll() {
    samples.push({ at: performance.now(), processed: current.progress.processed });
    if (samples.length > 10) samples.shift();
    replace(progress, progressView(current, samples));
    drawAb(current);
    replace(outcome, results(current, (await api("/admin/campaigns/" + c.id + "/links")).items));
    if (current.state !== "sending" || !progress.isConnected) return;
    setTimeout(async () => {
      if (!progress.isConnected) return;
      try {
        current = await api("/admin/campaigns/" + c.id);
        if (current.state !== "sending") return showCampaign(area, c.id, canChange, onGone);
        await poll();
      } catch (error) {
        say(error.message, true);
      }
    }, POLL_MS);
  }
  await poll();
  if (c.state === "done" || c.state === "cancelled" || c.state === "paused") {
    const again = h("button", { type: "button", class: "secondary", id: "results-refresh" }, "Refresh the results");
    again.addEventListener("click", () => showCampaign(area, c.id, canChange, onGone).then(() => area.querySelector("#results-refresh")?.focus()));
    outcome.append(again);
  }
}

export async function campaigns(main, { canChange }) {
  const body = h("tbody");
  const filter = h("select", { id: "state-filter" }, h("option", { value: "" }, "every state"), STATES.map((s) => h("option", { value: s }, s)));
  const table = h("div", { class: "table" }, h("table", { id: "campaign-list" },
    h("caption", {}, "Campaigns, newest first"),
    h("thead", {}, h("tr", {}, ["Name", "State", "Audience", "Sent", "Opened", "Clicked", "Created"].map((c) => h("th", { scope: "col" }, c)))),
    body));
  const more = h("button", { type: "button", id: "campaigns-more", hidden: true }, "Next page");
  const empty = h("p", { class: "note", id: "campaigns-empty", hidden: true });
  const area = h("section", { id: "campaign-area", "aria-label": "Campaign" });
  let cursor = null;
  let rows = [];

  function draw() {
    const shown = rows.filter((c) => !filter.value || c.state === filter.value);
    replace(body, shown.map((c) => h("tr", { "data-state": c.state },
      h("td", {}, h("button", { type: "button", class: "link", "data-campaign": c.id }, c.name)),
      h("td", {}, c.state, goesAt(c)), h("td", {}, number.format(c.progress.audience)), h("td", {}, number.format(c.stats.sent)),
      h("td", {}, number.format(c.stats.opened)), h("td", {}, number.format(c.stats.clicked)), h("td", {}, when(c.created_at)))));
    empty.hidden = shown.length > 0;
    table.hidden = !empty.hidden;
    empty.textContent = rows.length
      ? "No " + filter.value + " campaign among those loaded" + (cursor ? ": try the next page." : ".")
      : canChange ? "No campaign yet: start one with New campaign." : "No campaign yet: a marketer starts them.";
  }
  async function load(first) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (!first && cursor) query.set("cursor", cursor);
    const page = await api("/admin/campaigns?" + query.toString());
    rows = first ? page.items : rows.concat(page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    draw();
  }
  const back = async () => {
    replace(area);
    await load(true);
    main.querySelector("h1").focus();
  };
  async function open(id, lead) {
    await showCampaign(area, id, canChange, () => back().catch((e) => say(e.message, true)), lead);
    area.querySelector("#editing").focus();
  }
  body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-campaign]");
    if (button) open(button.dataset.campaign).catch((error) => say(error.message, true));
  });
  filter.addEventListener("change", () => load(true).catch((error) => say(error.message, true)));  // states move: read again
  more.addEventListener("click", () => load(false).catch((error) => say(error.message, true)));
  const create = canChange ? h("button", { type: "button", id: "campaigns-new" }, "New campaign") : null;
  create?.addEventListener("click", async () => {
    const { wizard } = await import("./wizard.js");
    await wizard(area, async (created) => {
      if (!created) return back();
      await load(true);
      await open(created, h("p", { class: "note", id: "wizard-next" }, "Step 6 of 6: test it, then send it now or schedule it."));
    }).catch((error) => say(error.message, true));
  });
  replace(main, h("h1", { tabindex: "-1" }, "Campaigns"),
    h("p", { class: "note" }, "A template sent to a segment, from a sender, now or at a time; its progress and what became of it."),
    create, h("div", { class: "controls" }, h("div", {}, h("label", { for: "state-filter" }, "Show campaigns in"), filter)),
    empty, table, more, area);
  await load(true);
  main.dataset.loaded = "true";
}
