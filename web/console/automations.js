/* Automations: "when <event> then send <template> after <delay>". The rules with what each did
   (GET /admin/automations: triggered, sent, skipped, failed, waiting, counted by the API in
   the transaction of each run's move, so a retry never counts twice); a rule's form, created
   (POST) or saved with the version it was read at (PUT; 409 if someone saved since), enabled
   and disabled (a PUT of the same rule); a refusal next to the control it names. A rule is made
   a one-step journey from its page (POST .../migrate, after a question: it cannot be undone);
   a migrated rule is read only, its runs already due finish and its counts stay here. */

import { api } from "./api.js";
import { confirmed } from "./confirm.js";
import { h, replace, say, showRefusal } from "./dom.js";

const number = new Intl.NumberFormat("en-GB");
export const EVENTS = {
  confirmed: "a subscriber confirms (double opt-in)",
  form_submitted: "a form is submitted",
  stage_reached: "a contact reaches a scoring stage",
  topic_added: "a contact joins a topic",
  custom_event: "a custom event is recorded (POST /events)",
};
// The control only this event needs (its name is the API's field).
const DETAIL = { form_submitted: "when.form_id", stage_reached: "when.stage", topic_added: "when.topic", custom_event: "when.name" };
const COUNTS = [["triggered", "Triggered"], ["sent", "Sent"], ["skipped", "Skipped"], ["failed", "Failed"], ["waiting", "Waiting"]];

function field(label, control, hint) {
  const id = control.id;
  return h("div", { class: "field", "data-field": control.name },
    h("label", { for: id }, label), control,
    hint ? h("p", { class: "note", id: id + "-hint" }, hint) : null,
    h("p", { id: id + "-error", class: "error" }));
}

function input(name, id, value, readOnly, extra = {}) {
  const node = h("input", { id, name, autocomplete: "off", readonly: readOnly, "aria-describedby": id + "-error", ...extra });
  node.value = value === undefined || value === null ? "" : String(value);
  return node;
}

function when(rule) {
  const w = rule.when;
  if (w.event === "form_submitted") return w.form_id ? "form " + w.form_id + " is submitted" : EVENTS.form_submitted;
  if (w.event === "stage_reached") return "a contact reaches stage " + w.stage;
  if (w.event === "topic_added") return "a contact joins topic " + w.topic;
  if (w.event === "custom_event") return "the custom event " + w.name + " is recorded";
  return EVENTS[w.event] || w.event;
}

function delay(minutes) {
  if (!minutes) return "at once";
  if (minutes % 1440 === 0) return minutes / 1440 + (minutes === 1440 ? " day" : " days");
  if (minutes % 60 === 0) return minutes / 60 + (minutes === 60 ? " hour" : " hours");
  return minutes + " min";
}

export function countsView(counts) {
  return h("dl", { class: "figures", id: "automation-counts" }, COUNTS.map(([key, label]) =>
    h("div", { "data-count": key }, h("dt", {}, label), h("dd", {}, number.format(counts[key] || 0)))));
}

function editor(area, rule, canChange, done) {
  const isNew = !rule;
  const r = rule || { name: "", when: { event: "confirmed" }, template_id: "", topic: "", sender: { email: "", name: "" }, delay_minutes: 0, enabled: true };
  const migrated = r.migrated_to || null;
  const readOnly = !canChange || Boolean(migrated);
  const event = h("select", { id: "au-event", name: "when.event", disabled: readOnly, "aria-describedby": "au-event-error" },
    Object.entries(EVENTS).map(([value, text]) => h("option", { value, selected: value === r.when.event }, text)));
  const problem = h("p", { id: "au-problem", class: "error", role: "alert" });
  const state = h("p", { id: "au-state", class: "note" });
  const form = h("form", { id: "automation", novalidate: true },
    field("Name", input("name", "au-name", r.name, readOnly)),
    field("When", event),
    field("Form id", input("when.form_id", "au-form", r.when.form_id, readOnly), "Leave empty for any form."),
    field("Stage", input("when.stage", "au-stage", r.when.stage, readOnly), "A stage of the scoring ruleset, such as mql."),
    field("Topic joined", input("when.topic", "au-joined", r.when.topic, readOnly)),
    field("Event name", input("when.name", "au-event-name", r.when.name, readOnly), "As the source sends it, such as purchased."),
    field("Send the template (id)", input("template_id", "au-template", r.template_id, readOnly, { list: "au-templates" })),
    h("datalist", { id: "au-templates" }),
    field("Topic of the mail (the contact must be subscribed to it when it is due)", input("topic", "au-topic", r.topic, readOnly)),
    field("From address", input("sender.email", "au-from", r.sender.email, readOnly, { type: "email" })),
    field("From name", input("sender.name", "au-from-name", r.sender.name, readOnly)),
    field("Replies go to (optional)", input("sender.reply_to", "au-reply-to", r.sender.reply_to, readOnly, { type: "email" })),
    field("After (minutes; 0 sends at the next minute)", input("delay_minutes", "au-delay", r.delay_minutes, readOnly, { type: "number", min: 0, inputmode: "numeric" })),
    isNew ? h("div", { class: "field check" },
      h("input", { type: "checkbox", id: "au-enabled", name: "enabled", checked: true }),
      h("label", { for: "au-enabled" }, "Enabled: it fires from the moment it is created")) : null,
    problem,
    canChange ? h("div", { class: "actions" },
      migrated ? null : h("button", { type: "submit" }, isNew ? "Create" : "Save"),
      isNew || migrated ? null : h("button", { type: "button", id: "au-switch" }, r.enabled ? "Disable" : "Enable"),
      isNew || migrated ? null : h("button", { type: "button", id: "au-migrate" }, "Make it a journey"),
      h("button", { type: "button", class: "secondary", id: "au-close" }, "Close")) : null);
  const heading = (saved) => (isNew ? "New automation" : "Automation " + saved.name + " · version " + saved.version);
  const shown = (saved) => {
    state.textContent = migrated
      ? "Now the journey " + migrated + ": the journey fires on new events, this automation no more; its runs already due are sent, and what it did stays below."
      : saved.enabled ? "Enabled: it fires on new events." : "Disabled: it fires no more, and runs already due are skipped.";
  };
  const counts = h("div", { id: "au-counts", "aria-live": "polite" });
  replace(area, h("h2", { id: "editing", tabindex: "-1" }, heading(r)), isNew ? null : state, form,
    isNew ? null : h("h3", {}, "What it did"), counts);
  if (!isNew) shown(r);

  const showDetail = () => {
    for (const [kind, name] of Object.entries(DETAIL)) form.querySelector(`[data-field="${name}"]`).hidden = event.value !== kind;
  };
  showDetail();
  event.addEventListener("change", showDetail);
  if (!canChange) return { counts };
  form.querySelector("#au-close").addEventListener("click", () => done(null));
  if (migrated) return { counts };

  const value = (name) => form.elements.namedItem(name).value.trim();
  const body = (enabled) => {
    const w = { event: event.value };
    if (DETAIL[event.value] && value(DETAIL[event.value])) w[DETAIL[event.value].slice(5)] = value(DETAIL[event.value]);
    const sender = { email: value("sender.email"), name: value("sender.name") };
    if (value("sender.reply_to")) sender.reply_to = value("sender.reply_to");
    const minutes = value("delay_minutes");
    return { name: value("name"), when: w, template_id: value("template_id"), topic: value("topic"), sender,
      delay_minutes: minutes === "" ? 0 : Number(minutes), enabled };
  };
  let current = r;
  async function save(enabled) {
    problem.textContent = "";
    for (const help of form.querySelectorAll(".error")) help.textContent = "";
    say("Saving…");
    try {
      const saved = isNew
        ? await api("/admin/automations", { method: "POST", body: body(enabled) })
        : await api("/admin/automations/" + encodeURIComponent(r.id), { method: "PUT", body: { ...body(enabled), version: current.version } });
      say((isNew ? "Created" : enabled === current.enabled ? "Saved" : enabled ? "Enabled" : "Disabled") + ": version " + saved.version + ".");
      if (isNew) return done(saved.id);
      current = saved;
      area.querySelector("#editing").textContent = heading(saved);
      form.querySelector("#au-switch").textContent = saved.enabled ? "Disable" : "Enable";
      shown(saved);
    } catch (error) {
      say("");
      if (!showRefusal(form, error, problem, { when: "when.event", sender: "sender.email" })) problem.textContent = error.message;
    }
  }
  form.addEventListener("submit", (event_) => {
    event_.preventDefault();
    save(isNew ? form.elements.namedItem("enabled").checked : current.enabled);
  });
  form.querySelector("#au-switch")?.addEventListener("click", () => save(!current.enabled));
  form.querySelector("#au-migrate")?.addEventListener("click", async () => {
    const yes = await confirmed("au-migrate-confirm", "Make this automation a journey?",
      "A journey of one mail takes its place: it fires on the same event, waits the same delay and sends the same template, once per contact (never to someone this automation already mailed). This automation then fires no more and cannot be edited; its runs already due are sent.",
      "Make it a journey");
    if (!yes) return form.querySelector("#au-migrate").focus();
    problem.textContent = "";
    say("Making it a journey…");
    try {
      const moved = await api("/admin/automations/" + encodeURIComponent(r.id) + "/migrate", { method: "POST" });
      say("Now the journey " + moved.journey_id + ".");
      done(r.id);
    } catch (error) {
      say("");
      problem.textContent = error.message;
    }
  });
  return { counts };
}

export async function automations(main, { canChange }) {
  const body = h("tbody");
  const table = h("div", { class: "table" }, h("table", { id: "automation-list" },
    h("caption", {}, "Automations and what each did"),
    h("thead", {}, h("tr", {}, ["Name", "When", "Then send", "After", "State", ...COUNTS.map(([, label]) => label)].map((c) => h("th", { scope: "col" }, c)))),
    body));
  const empty = h("p", { class: "note", id: "automations-empty", hidden: true },
    canChange ? "No automation yet: create the first with New automation (a welcome mail on confirmation, say)." : "No automation yet: a marketer creates them.");
  const area = h("section", { id: "automation-area", "aria-label": "Automation" });

  async function load() {
    const found = await api("/admin/automations");
    const rows = [...found.items].sort((a, b) => a.name.localeCompare(b.name));
    replace(body, rows.map((rule) => h("tr", { "data-automation": rule.id },
      h("td", {}, h("button", { type: "button", class: "link", "data-open": rule.id }, rule.name)),
      h("td", {}, when(rule)), h("td", {}, rule.template_id), h("td", {}, delay(rule.delay_minutes)),
      rule.migrated_to
        ? h("td", { "data-state": "migrated" }, "journey " + rule.migrated_to)
        : h("td", { "data-state": rule.enabled ? "enabled" : "disabled" }, rule.enabled ? "enabled" : "disabled"),
      COUNTS.map(([key]) => h("td", { "data-count": key }, number.format(rule.counts?.[key] || 0))))));
    empty.hidden = rows.length > 0;
    table.hidden = !empty.hidden;
  }
  async function open(id) {
    if (id === null) {
      replace(area);
      await load();
      return main.querySelector("h1").focus();
    }
    const path = "/admin/automations/" + encodeURIComponent(id);
    const [rule, counted] = id === "" ? [null, null] : await Promise.all([api(path), api(path + "/counts")]);
    const done = async (saved) => { await load(); await open(saved || null); };
    const shown = editor(area, rule, canChange, (saved) => done(saved).catch((error) => say(error.message, true)));
    if (counted) replace(shown.counts, countsView(counted));
    area.querySelector("#editing").focus();
    if (canChange) {
      // The template ids to choose from (the first page; any id may still be typed).
      api("/admin/templates?limit=100").then((page) => replace(area.querySelector("#au-templates"),
        page.items.map((t) => h("option", { value: t.id }, t.name)))).catch(() => {});
    }
  }
  body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-open]");
    if (button) open(button.dataset.open).catch((error) => say(error.message, true));
  });
  const create = canChange ? h("button", { type: "button", id: "automations-new" }, "New automation") : null;
  create?.addEventListener("click", () => open("").catch((error) => say(error.message, true)));
  replace(main, h("h1", { tabindex: "-1" }, "Automations"),
    h("p", { class: "note" }, "A mail sent by itself when something happens to a contact, once per contact and automation. Triggered counts the contacts it fired for; each is then sent, skipped (not subscribed to the topic when due, suppressed, or the automation disabled) or failed."),
    create, empty, table, area);
  await load();
  main.dataset.loaded = "true";
}
