/* A journey's draft as a form (journeys.js): its name, the event contacts enter on (with the
   form, stage, topic or event name it needs) or the segment they join (GET /admin/segments), re-entry (once, or again after N days), an
   optional goal, and its steps (journey_steps.js). Created with POST /admin/journeys or saved
   with the draft's version read (PUT; 409 if someone saved since); a refusal goes next to the
   control the API's `fields` names. Nothing changes for contacts until the draft is published. */

import { api } from "./api.js";
import { EVENTS } from "./automations.js";
import { h, replace, say, showRefusal } from "./dom.js";
import { DETAIL, stepRows } from "./journey_steps.js";
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

/** The event part (entry or goal) as a fieldset; `none` offers "no goal" first; the entry
    also offers joining a segment (`segments`: its select, filled once the list is read). */
function eventPart(part, legend, value, readOnly, none, segments) {
  const w = value || { event: none ? "" : "confirmed" };
  const event = h("select", { id: "jo-" + part, name: part + ".event", disabled: readOnly, "aria-describedby": "jo-" + part + "-error" },
    none ? h("option", { value: "", selected: !value }, none) : null,
    Object.entries(EVENTS).map(([v, text]) => h("option", { value: v, selected: value && v === w.event }, text)),
    segments ? h("option", { value: "segment", selected: Boolean(w.segment) }, "They are in a segment when it is published") : null);
  const details = Object.entries(DETAIL).map(([kind, [key, label, hint]]) => {
    const box = field(label, input(part + "." + key, "jo-" + part + "-" + key, w[key], readOnly), hint);
    box.dataset.for = kind;
    return box;
  });
  if (segments) {
    const box = field("Segment", segments, "Its members at the moment you publish enter; people who join it later do not.");
    box.dataset.for = "segment";
    details.push(box);
  }
  const show = () => { for (const box of details) box.hidden = box.dataset.for !== event.value; };
  event.addEventListener("change", show);
  show();
  return {
    node: h("fieldset", {}, h("legend", {}, legend), field(part === "goal" ? "Goal" : "When", event), details),
    value: () => {
      if (!event.value) return null;
      if (event.value === "segment") return { segment: segments.value };
      const out = { event: event.value };
      const [key] = DETAIL[event.value] || [];
      const typed = key && document.getElementById("jo-" + part + "-" + key).value.trim();
      if (typed) out[key] = typed;
      return out;
    },
  };
}

/** Where the API's field goes in this form: a step's kind is left out of pydantic's path
    (`steps.2.send.template_id`), a whole step's problem goes by its id, a whole part's by its
    first control. */
function placed(fields, bySegment) {
  const out = {};
  for (const [key, message] of Object.entries(fields || {})) {
    // an entry is one of two shapes: only the chosen one's problems count
    // (pydantic names them `entry.SegmentEntry.segment`, `entry.function-after[…, JourneyWhen]].event`)
    const shape = /^entry\.(SegmentEntry|[^.]*When\]+)(\.|$)/.exec(key);
    if (shape && (shape[1] === "SegmentEntry") !== bySegment) continue;
    let name = key.replace(/^entry\.(SegmentEntry|[^.]*When\]+)(\.|$)/, "entry$2").replace(/^steps\.(\d+)\.split$/, "steps.$1.paths.0.percent").replace(/^(steps\.\d+)\.split\.paths$/, "$1.paths.0.percent");
    name = name.replace(/^steps\.(\d+)\.(send|wait_until|wait_for|wait|branch|split|update|notify|exit)(\.|$)/, "steps.$1$3").replace(/\.$/, "");
    name = name.replace(/^(steps\.\d+\.if\.conditions\.\d+)(\..*)?$/, "$1.kind");  // said under the condition
    name = name.replace(/^(steps\.\d+\.if)\.(?!conditions\.\d+\.kind$).*$/, "$1");
    if (/^steps\.\d+$/.test(name)) name += ".id";
    if (/^steps\.\d+\.event$/.test(name)) name += ".event";
    if (name === "start") name = "steps.0.id";
    if (["entry", "goal", "reentry"].includes(name)) name += name === "reentry" ? ".mode" : ".event";
    out[name] = out[name] ? out[name] + " " + message : message;
  }
  return out;
}

export function journeyEditor(area, journey, canChange, done) {
  const isNew = !journey;
  const j = journey || { name: "", entry: { event: "confirmed" }, reentry: { mode: "once" }, goal: null, steps: [] };
  const readOnly = !canChange;
  const segments = h("select", { id: "jo-entry-segment", name: "entry.segment", disabled: readOnly, "aria-describedby": "jo-entry-segment-error" },
    h("option", { value: "" }, "Choose a segment"),
    j.entry.segment ? h("option", { value: j.entry.segment, selected: true }, j.entry.segment) : null);
  const entry = eventPart("entry", "Contacts enter when", j.entry, readOnly, null, segments);
  const goal = eventPart("goal", "A goal ends the run wherever it is, counted as a conversion", j.goal, readOnly, "No goal");
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
  api("/admin/profile-schema").then((schema) => {  // an update step's fields and topics
    knowSchema(schema);
    replace(area.querySelector("#jo-fields"), [...(schema.profile || []), ...(schema.interests || [])].map((f) => h("option", { value: f.name }, f.label)));
    replace(area.querySelector("#jo-topics"), (schema.topics || []).map((t) => h("option", { value: t.id }, t.label)));
  }).catch(() => {});
  api("/admin/segments?limit=100").then((page) => {  // the segments an entry may name
    const chosen = segments.value;
    replace(segments, h("option", { value: "" }, "Choose a segment"),
      page.items.map((s) => h("option", { value: s.id, selected: s.id === chosen }, s.name + " (" + s.id + ")")),
      chosen && !page.items.some((s) => s.id === chosen) ? h("option", { value: chosen, selected: true }, chosen) : null);
  }).catch(() => {});
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
      const fields = placed(error.fields, form.elements.namedItem("entry.event").value === "segment");
      showRefusal(form, { message: error.message, fields }, problem);
      const elsewhere = Object.entries(fields).filter(([name]) => !form.elements.namedItem(name)).map(([, m]) => m);
      if (elsewhere.length || error.status === 409) problem.textContent = [error.message, ...elsewhere].join(" ");
    }
  });
}
