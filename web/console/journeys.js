/* Journeys: multi-step automated mailings (docs/design/journeys.md). The list with each
   journey's state and what it did (GET /admin/journeys: entries and conversions over every
   version); a journey's page: its entry, goal and versions (in words: journey_events.js, a
   campaign by its name when it is among the newest 100), the steps of a version in order with
   what each did (GET .../stats: entered, waiting, passed, exited, converted; a send step's mail
   results), publish the draft with the draft's edit read (409 if someone saved it since), stop
   entries (after a question); the draft's form (journey_editor.js). A viewer reads, with no control. */

import { api } from "./api.js";
import { describe } from "./conditions.js";
import { confirmed } from "./confirm.js";
import { h, replace, say } from "./dom.js";
import { journeyEditor } from "./journey_editor.js";
import { campaignIds, eventText as said } from "./journey_events.js";
import { KINDS, ordered } from "./journey_steps.js";

const number = new Intl.NumberFormat("en-GB");
const MOVES = [["entered", "Entered"], ["waiting", "Waiting"], ["passed", "Passed"], ["exited", "Exited"], ["converted", "Converted"]];
const UPDATED = [["updated", "Updated"], ["unchanged", "Already so"], ["refused", "Refused"]];
const WOKEN = [["woken", "Event happened"], ["timed_out", "Timed out"]];
const MAIL = [["sent", "Sent"], ["skipped", "Skipped"], ["failed", "Failed"], ["delivered", "Delivered"], ["opened", "Opened"],
  ["clicked", "Clicked"], ["bounced", "Bounced"], ["complained", "Complained"]];

let campaigns = null;  // the names of the newest 100 campaigns, read once per visit if a journey names one
let names = new Map();

/** Campaign names for the values' words: the first page of GET /admin/campaigns, read the first
    time a value names a campaign (a campaign not on it is said by its id). */
async function nameCampaigns(...values) {
  if (!campaignIds(...values).length) return;
  campaigns ||= api("/admin/campaigns?limit=100").then((page) => new Map(page.items.map((c) => [c.id, c.name]))).catch(() => new Map());
  names = await campaigns;
}

function eventText(w) {
  return said(w, names);
}

function duration(minutes) {
  if (minutes % 1440 === 0) return minutes / 1440 + (minutes === 1440 ? " day" : " days");
  if (minutes % 60 === 0) return minutes / 60 + (minutes === 60 ? " hour" : " hours");
  return minutes + (minutes === 1 ? " minute" : " minutes");
}

function stateOf(j) {
  if (j.live_version) return ["live", "live · version " + j.live_version];
  return j.published_versions ? ["stopped", "stopped"] : ["draft", "draft, never published"];
}

function then(target) {
  return target ? "go to " + target : "end";
}

function described(step) {
  if (step.type === "send") {
    return "Send the template " + step.template_id + " (" + (step.kind || "marketing") + ", topic " + step.topic + ", from " +
      (step.sender?.name ? step.sender.name + " <" + step.sender.email + ">" : step.sender?.email) + "), then " + then(step.next) + ".";
  }
  if (step.type === "wait") return "Wait " + duration(step.minutes) + ", then " + then(step.next) + ".";
  if (step.type === "branch") {
    const asked = step.if || {};
    if (asked.conditions) return "If the contact is in the segment " + asked.conditions.map(describe).join("; and ") + ": " + then(step.yes) + "; if not: " + then(step.no) + ".";
    return "If the contact " + (asked.clicked ? "clicked a link in the mail of " + asked.clicked : "opened the mail of " + asked.opened) +
      ": " + then(step.yes) + "; if not: " + then(step.no) + ".";
  }
  if (step.type === "split") {
    return "Split at random: " + step.paths.map((p) => p.percent + " % " + (p.next ? "go to " + p.next : "held out (the run ends)")).join(", ") + ".";
  }
  if (step.type === "wait_until") return "Wait until " + step.time + " on the contact's clock, then " + then(step.next) + ".";
  if (step.type === "wait_for") {
    return "Wait until " + eventText(step.event) + ", at most " + duration(step.timeout_minutes) + "; then " + then(step.next) +
      "; if not by then: " + then(step.on_timeout) + ".";
  }
  if (step.type === "update") {
    const changes = [...Object.entries(step.set || {}).map(([k, v]) => "set " + k + " to " + (Array.isArray(v) ? v.join(", ") : v)),
      step.remove_topic ? "take topic " + step.remove_topic + " away" : null, step.add_topic ? "give topic " + step.add_topic + " back" : null].filter(Boolean);
    return "Update the contact: " + changes.join("; ") + "; then " + then(step.next) + ".";
  }
  if (step.type === "notify") {
    return "Tell " + step.to.map((t) => (t === "webhook" ? "the webhooks" : "EventBridge")).join(" and ") +
      (step.label ? " (label " + step.label + ")" : "") + ", then " + then(step.next) + ".";
  }
  if (step.type === "exit") return "The run ends here.";
  return "A " + step.type + " step (see it with ecrm journeys show).";
}

function figures(counts, list, label) {
  return h("dl", { class: "figures small", "aria-label": label }, list.map(([key, name]) =>
    h("div", { "data-count": key }, h("dt", {}, name), h("dd", {}, number.format(counts[key] || 0)))));
}

/** A version's steps in order (from its start), each with what it did in that version. */
function stepsView(version, counts) {
  return h("ol", { class: "journey-steps", id: "journey-steps" }, ordered(version.steps, version.start).map((step) => {
    const c = counts?.[step.id] || {};
    return h("li", { "data-step": step.id },
      h("h4", {}, step.id + " · " + (KINDS[step.type] || step.type)),
      h("p", {}, described(step)),
      counts ? figures(c, MOVES, "What step " + step.id + " did") : null,
      counts && step.type === "send" ? figures(c, MAIL, "The mail of step " + step.id) : null,
      counts && step.type === "wait_for" ? figures(c, WOKEN, "How step " + step.id + " ended its waits") : null,
      counts && step.type === "update" ? figures(c, UPDATED, "What step " + step.id + " did to contacts") : null);
  }));
}

async function page(area, id, canChange, done) {
  const path = "/admin/journeys/" + encodeURIComponent(id);
  const [j, stats] = await Promise.all([api(path), api(path + "/stats")]);
  await nameCampaigns(j.entry, j.goal);
  const versions = Array.from({ length: j.published_versions }, (_, n) => n + 1);
  const problem = h("p", { id: "jo-page-problem", class: "error", role: "alert" });
  const [state] = stateOf(j);
  const pick = h("select", { id: "jo-version" },
    versions.reverse().map((n) => h("option", { value: n, selected: n === (j.live_version || j.published_versions) },
      "Version " + n + (n === j.live_version ? " (live)" : ""))),
    h("option", { value: "draft", selected: !j.published_versions }, "The draft (edit " + j.version + ", not published as it is)"));
  const shown = h("div", { id: "jo-version-shown", "aria-live": "polite" });
  const showVersion = async () => {
    const chosen = pick.value;
    if (chosen === "draft") return replace(shown, h("p", { class: "note" }, "The draft has done nothing yet: it counts once published."), stepsView(j, null));
    const version = await api(path + "/versions/" + chosen);
    await nameCampaigns(version.entry, version.goal);
    const total = stats.versions[chosen] || {};
    replace(shown, h("p", { class: "note", id: "jo-version-note" }, "Version " + chosen + ", published " + new Date(version.published_at).toLocaleString("en-GB") +
      ": contacts enter when " + eventText(version.entry) + "; goal: " + eventText(version.goal) + "."), stepsView(version, total));
  };
  pick.addEventListener("change", () => showVersion().catch((error) => say(error.message, true)));
  const actions = canChange ? h("div", { class: "actions" },
    h("button", { type: "button", id: "jo-edit" }, "Edit the draft"),
    h("button", { type: "button", id: "jo-publish" }, "Publish the draft as version " + (j.published_versions + 1)),
    j.live_version ? h("button", { type: "button", class: "danger", id: "jo-stop" }, "Stop entries") : null) : null;
  replace(area,
    h("h2", { id: "editing", tabindex: "-1" }, "Journey " + j.name),
    h("p", { id: "jo-state", "data-state": state }, stateLine(j)),
    h("dl", { class: "pairs" },
      h("div", {}, h("dt", {}, "Contacts enter when"), h("dd", {}, eventText(j.entry))),
      h("div", {}, h("dt", {}, "Re-entry"), h("dd", {}, j.reentry?.mode === "again_after" ? "again " + j.reentry.days + " days after entering" : "once ever")),
      h("div", {}, h("dt", {}, "Goal"), h("dd", {}, eventText(j.goal))),
      h("div", {}, h("dt", {}, "Draft"), h("dd", {}, "edit " + j.version + ", " + new Date(j.updated_at).toLocaleString("en-GB")))),
    actions, problem,
    h("h3", {}, "Steps and what each did"),
    h("div", { class: "controls" }, h("div", {}, h("label", { for: "jo-version" }, "Show"), pick)),
    shown);
  await showVersion();
  if (!canChange) return;
  area.querySelector("#jo-edit").addEventListener("click", () => done(id, true));
  area.querySelector("#jo-publish").addEventListener("click", async () => {
    problem.textContent = "";
    say("Publishing…");
    try {
      const published = await api(path + "/publish?version=" + j.version, { method: "POST" });
      say("Published version " + published.version + ": contacts enter it from now on.");
      done(id);
    } catch (error) {
      say("");
      const where = Object.entries(error.fields || {}).map(([f, m]) => f + ": " + m);
      problem.textContent = (error.status === 409 ? "Not published: " : "") + [error.message, ...where].join(" ");
      if (error.status === 409) {
        const reload = h("button", { type: "button", class: "secondary small", id: "jo-reload" }, "Load the current journey");
        reload.addEventListener("click", () => done(id));
        problem.append(" ", reload);
      }
    }
  });
  area.querySelector("#jo-stop")?.addEventListener("click", async () => {
    const yes = await confirmed("jo-stop-confirm", "Stop this journey?",
      "No one enters it any more; contacts already in it finish on their version. Publishing again lets contacts enter.", "Stop entries", true);
    if (!yes) return area.querySelector("#jo-stop").focus();
    try {
      await api(path + "/stop", { method: "POST" });
      say("Stopped: no one enters " + j.name + " any more.");
      done(id);
    } catch (error) {
      problem.textContent = error.message;
    }
  });
}

function stateLine(j) {
  if (j.live_version) return "Live: contacts enter version " + j.live_version + " (" + j.published_versions + " published).";
  if (j.published_versions) return "Stopped: no one enters; contacts already in it finish on their version.";
  return "A draft: publish it to let contacts enter.";
}

export async function journeys(main, { canChange }) {
  campaigns = null;  // read again on each visit: a campaign may have been made or renamed since
  const body = h("tbody");
  const table = h("div", { class: "table" }, h("table", { id: "journey-list" },
    h("caption", {}, "Journeys and what each did"),
    h("thead", {}, h("tr", {}, ["Name", "Contacts enter when", "State", "Entered", "Converted"].map((c) => h("th", { scope: "col" }, c)))),
    body));
  const empty = h("p", { class: "note", id: "journeys-empty", hidden: true },
    canChange ? "No journey yet: create the first with New journey (a welcome series on confirmation, say)." : "No journey yet: a marketer creates them.");
  const area = h("section", { id: "journey-area", "aria-label": "Journey" });

  async function load() {
    const found = await api("/admin/journeys");
    const rows = [...found.items].sort((a, b) => a.name.localeCompare(b.name));
    await nameCampaigns(...rows.map((j) => j.entry));
    replace(body, rows.map((j) => h("tr", { "data-journey": j.id },
      h("td", {}, h("button", { type: "button", class: "link", "data-open": j.id }, j.name)),
      h("td", {}, eventText(j.entry)),
      h("td", { "data-state": stateOf(j)[0] }, stateOf(j)[1]),
      h("td", { "data-count": "entered" }, number.format(j.entered || 0)),
      h("td", { "data-count": "converted" }, number.format(j.converted || 0)))));
    empty.hidden = rows.length > 0;
    table.hidden = !empty.hidden;
  }
  const fail = (error) => say(error.message, true);
  async function open(id, editing = false) {
    if (id === null) {
      replace(area);
      await load();
      return main.querySelector("h1").focus();
    }
    const done = (next, edit) => open(next, edit).catch(fail);
    if (editing || id === "") {
      journeyEditor(area, id === "" ? null : await api("/admin/journeys/" + encodeURIComponent(id)), canChange, (saved) => done(saved));
    } else {
      await Promise.all([page(area, id, canChange, done), load()]);  // the list's figures too
    }
    area.querySelector("#editing").focus();
  }
  body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-open]");
    if (button) open(button.dataset.open).catch(fail);
  });
  const create = canChange ? h("button", { type: "button", id: "journeys-new" }, "New journey") : null;
  create?.addEventListener("click", () => open("").catch(fail));
  replace(main, h("h1", { tabindex: "-1" }, "Journeys"),
    h("p", { class: "note" }, "Mails in several steps, sent by themselves: contacts enter on an event, get mails, wait, and go one way or another by what they did with an earlier mail. Entered counts the contacts who entered (every version); converted, those who reached the goal."),
    create, empty, table, area);
  await load();
  main.dataset.loaded = "true";
}
