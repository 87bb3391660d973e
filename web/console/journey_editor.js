/* A journey's draft as a form (journeys.js): its name, what contacts enter on and its optional
   goal (journey_events.js: an event with the form, stage, topic, event name, score or campaign
   it needs, the segment they are in, or a date field; campaigns and segments offered from the
   first page of GET /admin/campaigns and /admin/segments, date fields from the profile
   schema), re-entry (once, or again after N days), and its steps (journey_steps.js). Created
   with POST /admin/journeys or saved with the draft's version read (PUT; 409 if someone saved since); a refusal goes next to the
   control the API's `fields` names. Nothing changes for contacts until the draft is published. */

import { api } from "./api.js";
import { h, replace, say, showRefusal } from "./dom.js";
import { eventField, eventPart, fillLists } from "./journey_events.js";
import { stepRows } from "./journey_steps.js";
import { knowSchema } from "./journey_update.js";

function field(label, control, hint) {
  return h("div", { class: "field", "data-field": control.name },
    h("label", { for: control.id }, label), control,
    hint ? h("p", { class: "note" }, hint) : null,
    h("p", { id: control.id + "-error", class: "error" }));
}

function input(name, id, value, readOnly, extra = {}) {
  const node = h("input", { id, name, autocomplete: "off", readonly: readOnly, "aria-describedby": id + "-error", ...extra });
  node.value = value ?? "";
  return node;
}

/** Where the API's field goes in this form: a step's kind is left out of pydantic's path
    (`steps.2.send.template_id`), a whole step's problem goes by its id, a whole part's by its
    first control; the entry's, the goal's and a wait's event go by the kind chosen
    (journey_events.js: of a union, only its model's problems count). */
function placed(fields, form) {
  const out = {};
  for (const [key, message] of Object.entries(fields || {})) {
    let name = key.replace(/^steps\.(\d+)\.split$/, "steps.$1.paths.0.percent").replace(/^(steps\.\d+)\.split\.paths$/, "$1.paths.0.percent");
    name = name.replace(/^steps\.(\d+)\.(send|wait_until|wait_for|wait|branch|split|update|notify|exit)(\.|$)/, "steps.$1$3").replace(/\.$/, "");
    name = eventField(name, form);
    if (name === null) continue;
    name = name.replace(/^(steps\.\d+\.if\.conditions\.\d+)(\..*)?$/, "$1.kind");  // said under the condition
    name = name.replace(/^(steps\.\d+\.if)\.(?!conditions\.\d+\.kind$).*$/, "$1");
    if (/^steps\.\d+$/.test(name)) name += ".id";
    if (name === "start") name = "steps.0.id";
    if (name === "reentry") name += ".mode";
    out[name] = out[name] ? out[name] + " " + message : message;
  }
  return out;
}

export function journeyEditor(area, journey, canChange, done) {
  const isNew = !journey;
  const j = journey || { name: "", entry: { event: "confirmed" }, reentry: { mode: "once" }, goal: null, steps: [] };
  const readOnly = !canChange;
  const lists = {};  // campaigns and segments, once read
  const part = (name, legend, label, value, none) => {
    const made = eventPart({ part: name, label, id: "jo-" + name, base: "jo-" + name, prefix: name, value, readOnly, none, lists });
    return { node: h("fieldset", {}, h("legend", {}, legend), made.nodes), value: made.value };
  };
  const entry = part("entry", "Contacts enter when", "When", j.entry);
  const goal = part("goal", "A goal ends the run wherever it is, counted as a conversion", "Goal", j.goal, "No goal");
  const mode = h("select", { id: "jo-reentry", name: "reentry.mode", disabled: readOnly, "aria-describedby": "jo-reentry-error" },
    [["once", "Once ever"], ["again_after", "Again, some days after entering"]].map(([v, t]) => h("option", { value: v, selected: j.reentry?.mode === v }, t)));
  const days = field("Days after entering", input("reentry.days", "jo-reentry-days", j.reentry?.days, readOnly, { type: "number", min: 1, inputmode: "numeric" }));
  const showDays = () => { days.hidden = mode.value !== "again_after"; };
  mode.addEventListener("change", showDays);
  showDays();
  const steps = stepRows(j.steps, readOnly);
  const problem = h("p", { id: "jo-problem", class: "error", role: "alert" });
  const form = h("form", { id: "journey", novalidate: true },
    field("Name", input("name", "jo-name", j.name, readOnly)),
    entry.node,
    h("fieldset", {}, h("legend", {}, "A contact may enter"), field("Re-entry", mode), days),
    goal.node,
    h("h3", {}, "Steps, in order"),
    h("p", { class: "note" }, "Contacts start at the first step. Each step goes on to the next in the list, or to a later step you choose, or ends the journey."),
    steps.box, h("datalist", { id: "jo-templates" }), h("datalist", { id: "jo-fields" }), h("datalist", { id: "jo-topics" }),
    problem,
    canChange ? h("div", { class: "actions" },
      h("button", { type: "submit" }, isNew ? "Create the draft" : "Save the draft"),
      h("button", { type: "button", class: "secondary", id: "jo-cancel" }, "Cancel")) : null);
  replace(area, h("h2", { id: "editing", tabindex: "-1" }, isNew ? "New journey" : "Editing " + j.name + " · draft edit " + j.version),
    h("p", { class: "note" }, "You edit the draft: contacts keep entering the published version until you publish this one."), form);
  if (!canChange) return;
  api("/admin/templates?limit=100").then((page) => replace(area.querySelector("#jo-templates"),
    page.items.map((t) => h("option", { value: t.id }, t.name)))).catch(() => {});
  api("/admin/profile-schema").then((schema) => {  // an update step's fields and topics, a date entry's field
    knowSchema(schema);
    lists.date_fields = (schema.profile || []).filter((f) => f.type === "date").map((f) => ({ id: f.name, name: f.label }));
    fillLists(form, "date_fields", lists.date_fields);
    replace(area.querySelector("#jo-fields"), [...(schema.profile || []), ...(schema.interests || [])].map((f) => h("option", { value: f.name }, f.label)));
    replace(area.querySelector("#jo-topics"), (schema.topics || []).map((t) => h("option", { value: t.id }, t.label)));
  }).catch(() => {});
  for (const [name, path] of [["segments", "/admin/segments?limit=100"], ["campaigns", "/admin/campaigns?limit=100"]]) {
    api(path).then((page) => {  // the segments and campaigns an entry or goal may name
      lists[name] = page.items;
      fillLists(form, name, page.items);
    }).catch(() => {});
  }
  form.querySelector("#jo-cancel").addEventListener("click", () => done(journey ? journey.id : null));

  const body = () => {
    const reentry = { mode: mode.value };
    if (mode.value === "again_after") reentry.days = Number(form.elements.namedItem("reentry.days").value) || null;
    return { name: form.elements.namedItem("name").value.trim(), entry: entry.value(), reentry, goal: goal.value(),
      start: steps.start(), steps: steps.value() };
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    for (const help of form.querySelectorAll(".error")) help.textContent = "";
    say("Saving…");
    try {
      const saved = isNew
        ? await api("/admin/journeys", { method: "POST", body: body() })
        : await api("/admin/journeys/" + encodeURIComponent(j.id), { method: "PUT", body: { ...body(), version: j.version } });
      say((isNew ? "Created" : "Saved") + ": the draft of " + saved.name + ". Publish it to let contacts enter.");
      done(saved.id);
    } catch (error) {
      say("");
      const fields = placed(error.fields, form);
      showRefusal(form, { message: error.message, fields }, problem);
      const elsewhere = Object.entries(fields).filter(([name]) => !form.elements.namedItem(name)).map(([, m]) => m);
      if (elsewhere.length || error.status === 409) problem.textContent = [error.message, ...elsewhere].join(" ");
    }
  });
}
