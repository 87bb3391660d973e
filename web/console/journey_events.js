/* What contacts enter a journey on, convert on (its goal) or wake a waiting run on, as a table
   (KINDS), so that one more kind of entry is one more row: which parts take it (as the API's
   journey model: the entry JourneyWhen, a segment (its later joiners too) or a date field,
   the goal JourneyWhen, a wait for an event only the automation rules' When), the API keys it has (DETAILS: one control per key,
   shown while the chosen kind has it), how a stored value is recognised (`is`, and no key
   the row does not know), what the API is sent (`out`), the model a refusal names it by
   (`shape`: pydantic's union tag) and its words (`text`). A stored value no row knows is kept
   as the API gave it, so a draft saved from the form never loses what it cannot show. */

import { EVENTS } from "./automations.js";
import { h, replace } from "./dom.js";

const EVERY = ["entry", "goal", "wait_for"];  // the rules' When
const JOURNEYS = ["entry", "goal"];  // JourneyWhen's own (a wait's event refuses them)
const KEPT = "+kept";

// A control per API key: a text or number input, or a select of a list read by the form
// (`lists`: campaigns, segments, the profile's date fields) or of fixed `choices` (JSON
// values), whose `any` choice leaves the key out.
export const DETAILS = {
  form_id: { label: "Form id", hint: "Leave empty for any form." },
  stage: { label: "Stage", hint: "A stage of the scoring ruleset, such as mql." },
  topic: { label: "Topic joined" },
  name: { label: "Event name", hint: "As the source sends it, such as purchased." },
  at_least: { label: "N, the score", hint: "More than 0; decimals allowed.", number: true,
    attrs: { type: "number", step: "any", inputmode: "decimal" } },
  campaign_id: { label: "Campaign", list: "campaigns", any: "Any campaign", hint: "From the newest 100 campaigns." },
  segment: { label: "Segment", list: "segments", any: "Choose a segment" },
  date_field: { label: "Date field", list: "date_fields", any: "Choose a date field", hint: "A field of type date in the profile schema." },
  days: { label: "Days after the date", hint: "Before it when negative (-7: a week before); 0: on the day.", number: true,
    attrs: { type: "number", step: 1, min: -366, max: 366 } },
  every_year: { label: "Which day", any: "Choose", choices: [[true, "Every year on its day (a birthday)"], [false, "Once, the date itself (a renewal)"]] },
  time: { label: "At (HH:MM, 24 h)", hint: "In the send policy's time zone; left empty, 09:00.", attrs: { maxlength: 5, placeholder: "09:00", inputmode: "numeric" } },
};

function dated(w) {
  const n = Math.abs(w.days) === 1 ? "1 day" : Math.abs(w.days) + " days";
  const day = w.days === 0 ? "it is the day of their " + w.date_field : "their " + w.date_field + (w.days < 0 ? " is " + n + " away" : " was " + n + " ago");
  return day + (w.every_year ? ", every year" : ", once (the date itself)") + ", at " + (w.time || "09:00");
}

function campaign(w, names) {
  if (!w.campaign_id) return "any campaign";
  const name = names?.get(w.campaign_id);
  return "the campaign " + (name ? name + " (" + w.campaign_id + ")" : w.campaign_id);
}

const event = (value, label, parts, keys, text, note) =>
  ({ value, label, parts, keys, text, note, shape: "JourneyWhen", is: (w) => w.event === value });

export const KINDS = [
  event("confirmed", EVENTS.confirmed, EVERY, [], () => "a subscriber confirms (double opt-in)"),
  event("form_submitted", EVENTS.form_submitted, EVERY, ["form_id"], (w) => (w.form_id ? "form " + w.form_id + " is submitted" : "a form is submitted")),
  event("stage_reached", EVENTS.stage_reached, EVERY, ["stage"], (w) => "a contact reaches stage " + w.stage),
  event("topic_added", EVENTS.topic_added, EVERY, ["topic"], (w) => "a contact joins topic " + w.topic),
  event("custom_event", EVENTS.custom_event, EVERY, ["name"], (w) => "the custom event " + w.name + " is recorded"),
  event("score_crossed", "Their score rises to N or more", JOURNEYS, ["at_least"], (w) => "a contact's score rises to " + w.at_least + " or more",
    "Once per crossing: not again while it stays at N or above; falling below and rising again is a new crossing."),
  event("campaign_opened", "They open a campaign's mail", JOURNEYS, ["campaign_id"], (w, names) => "a contact opens the mail of " + campaign(w, names),
    "Once per contact and campaign; opens by mail scanners do not count."),
  event("campaign_clicked", "They click a link in a campaign's mail", JOURNEYS, ["campaign_id"],
    (w, names) => "a contact clicks a link in the mail of " + campaign(w, names), "Once per contact and campaign."),
  { value: "segment", label: "They are in a segment when it is published", parts: ["entry"], keys: ["segment"], shape: "SegmentEntry",
    is: (w) => typeof w.segment === "string", out: (d) => ({ segment: d.segment || "" }),  // none chosen: refused at the select
    text: (w) => "they are in the segment " + w.segment + " when it is published",
    note: "Its members at the moment you publish enter; people who join it later do not." },
  { value: "segment_joiners", label: "They are in a segment when it is published, or join it later", parts: ["entry"], keys: ["segment"],
    shape: "SegmentEntry", is: (w) => typeof w.segment === "string" && w.joiners === true, out: (d) => ({ segment: d.segment || "", joiners: true }),
    text: (w) => "they are in the segment " + w.segment + " when it is published, or join it later",
    note: "Its members at the moment you publish enter, and people who join it later: within seconds of a change of theirs, within a day when time alone puts them in." },
  { value: "date", label: "A date of theirs, N days before or after (a birthday, a renewal)", parts: ["entry"], keys: ["date_field", "days", "every_year", "time"],
    shape: "DateEntry", is: (w) => typeof w.date_field === "string", out: (d) => ({ date_field: "", ...d }), text: dated,
    note: "Each day at its time, the contacts whose date is that many days away enter. Every year needs a re-entry rule that lets them in again (again, 300 days after entering, say)." },
];

/** What the API is sent for a kind with these details. */
const write = (kind, d) => (kind.out ? kind.out(d) : { event: kind.value, ...d });

/** The row of a stored value (undefined: none knows it, or it has a key, set, that its row
    neither has a control for nor writes itself). */
export function kindOf(w, part) {
  return KINDS.find((k) => (!part || k.parts.includes(part)) && k.is(w) &&
    Object.entries(w).every(([key, v]) => v === null || v === false || k.keys.includes(key) || key in write(k, {})));
}

/** A value in words, after "contacts enter when" (`names`: campaign names by id). */
export function eventText(w, names) {
  if (!w) return "none";
  const kind = kindOf(w);
  return kind ? kind.text(w, names) : JSON.stringify(w);
}

/** The campaign ids the values name (journeys.js reads their names when there are some). */
export function campaignIds(...values) {
  return values.filter((w) => w?.campaign_id).map((w) => w.campaign_id);
}

function fill(select, items, chosen) {
  replace(select, h("option", { value: "" }, select.dataset.any),
    items.map((item) => h("option", { value: item.id, selected: item.id === chosen }, item.name + " (" + item.id + ")")),
    chosen && !items.some((item) => item.id === chosen) ? h("option", { value: chosen, selected: true }, chosen) : null);
}

/** Once the form has read list `name`: every select of it offers its items, its choice kept. */
export function fillLists(root, name, items) {
  for (const select of root.querySelectorAll(`select[data-list="${name}"]`)) fill(select, items, select.value);
}

function field(label, control, hint) {
  return h("div", { class: "field", "data-field": control.name }, h("label", { for: control.id }, label), control,
    hint ? h("p", { class: "note" }, hint) : null, h("p", { id: control.id + "-error", class: "error" }));
}

/** A part of the journey's form (`part`: entry, goal or wait_for): a select of the kinds it
    takes (`none`: a first choice for no value, the goal's) with the chosen kind's note, and a
    control per key (ids `<base>-<key>`, names `<prefix>.<key>`, as the API names them in a
    refusal; the select is `<prefix>.event`). `value()`: the API's JSON (null: none); `changed`
    gets it on every change. */
export function eventPart({ part, label, id, base, prefix, value, readOnly, none, lists = {}, changed = () => {} }) {
  const kinds = KINDS.filter((k) => k.parts.includes(part));
  const current = value ? kindOf(value, part) : null;
  const kept = value && !current ? value : null;
  const select = h("select", { id, name: prefix + ".event", disabled: readOnly, "aria-describedby": id + "-error" },
    none ? h("option", { value: "", selected: !value }, none) : null,
    kinds.map((k) => h("option", { value: k.value, selected: k === current }, k.label)),
    kept ? h("option", { value: KEPT, selected: true }, "As saved (this form cannot change it)") : null);
  const controls = {};
  const boxes = Object.keys(DETAILS).filter((key) => kinds.some((k) => k.keys.includes(key))).map((key) => {
    const detail = DETAILS[key];
    const attrs = { id: base + "-" + key, name: prefix + "." + key, "aria-describedby": base + "-" + key + "-error" };
    let control;
    const was = current?.keys.includes(key) ? value[key] ?? "" : "";
    if (detail.list) {
      control = h("select", { ...attrs, disabled: readOnly, "data-list": detail.list, "data-any": detail.any });
      fill(control, lists[detail.list] || [], was);
    } else if (detail.choices) {
      control = h("select", { ...attrs, disabled: readOnly }, h("option", { value: "" }, detail.any),
        detail.choices.map(([v, text]) => h("option", { value: JSON.stringify(v), selected: was !== "" && v === was }, text)));
    } else {
      control = h("input", { ...attrs, autocomplete: "off", readonly: readOnly, ...detail.attrs });
      control.value = was;
    }
    controls[key] = control;
    const box = field(detail.label, control, detail.hint);
    box.dataset.key = key;
    return box;
  });
  const note = h("p", { class: "note" });
  const raw = kept ? h("pre", { class: "plain" }, JSON.stringify(kept, null, 1)) : null;
  const chosen = () => kinds.find((k) => k.value === select.value);
  const show = () => {
    const kind = chosen();
    for (const box of boxes) box.hidden = !kind?.keys.includes(box.dataset.key);
    note.textContent = kind?.note || (select.value === KEPT ? "A kind of " + part + " this form does not edit: kept as it is (ecrm journeys put edits it)." : "");
    note.hidden = !note.textContent;
    if (raw) raw.hidden = select.value !== KEPT;
  };
  const read = () => {
    if (select.value === KEPT) return kept;
    const kind = chosen();
    if (!kind) return null;
    const d = {};
    for (const key of kind.keys) {
      const typed = controls[key].value.trim();
      if (typed !== "") d[key] = DETAILS[key].number ? Number(typed) : DETAILS[key].choices ? JSON.parse(typed) : typed;
    }
    return write(kind, d);
  };
  select.addEventListener("change", show);
  show();
  for (const control of [select, ...Object.values(controls)]) {
    control.addEventListener(control.tagName === "SELECT" ? "change" : "input", () => changed(read()));
  }
  return { nodes: [field(label, select), note, ...boxes, raw], value: read };
}

/** Where a refusal of a part goes (`name`: the API's field, a step's kind left out): only
    the chosen kind's model counts when the API names the members of a union
    (`entry.SegmentEntry.segment`, `entry.function-after[…, JourneyWhen]].at_least`), and a
    whole part's problem goes to the chosen kind's first control, else its select. Other
    fields come back as they are; null: a problem of a kind not chosen. */
export function eventField(name, form) {
  const parsed = /^(entry|goal|steps\.\d+\.event)(?:\.(.*))?$/.exec(name);
  if (!parsed) return name;
  const [, prefix] = parsed;
  let rest = parsed[2] || "";
  const select = form.elements.namedItem(prefix + ".event");
  const kind = KINDS.find((k) => k.value === select?.value);
  if (/^([A-Z]|function-)/.test(rest)) {  // a union member's tag: up to the first dot outside brackets
    let depth = 0;
    let end = 0;
    for (; end < rest.length && !(rest[end] === "." && depth === 0); end += 1) depth += { "[": 1, "]": -1 }[rest[end]] || 0;
    const shape = /(\w+)\]*$/.exec(rest.slice(0, end))?.[1];
    if (kind && shape !== kind.shape) return null;
    rest = rest.slice(end + 1);
  }
  if (!kind) return prefix + ".event";
  if (!rest) return kind.keys.length && form.elements.namedItem(prefix + "." + kind.keys[0]) ? prefix + "." + kind.keys[0] : prefix + ".event";
  return prefix + "." + rest;
}
