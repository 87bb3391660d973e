/* A segment's conditions as form controls: one fieldset per condition, its kind chosen from
   every kind the API has (ecrm.segments.definitions), the controls of that kind built from
   KINDS, and read back into the API's JSON. Lists are typed comma-separated. */

import { h } from "./dom.js";

const FIELD_OPS = [
  ["eq", "is"], ["ne", "is not"], ["in", "is one of"], ["not_in", "is none of"], ["contains", "contains"],
  ["starts_with", "starts with"], ["exists", "has a value"], ["missing", "has no value"],
];
const LIST_OPS = new Set(["in", "not_in"]);
const NO_VALUE = new Set(["exists", "missing"]);

/** kind -> its name in the UI and its controls (name, label, type, options, default). */
export const KINDS = {
  field: { name: "Profile field", controls: [
    { name: "field", label: "Field (e.g. company)", type: "text" },
    { name: "op", label: "Test", type: "select", options: FIELD_OPS, value: "eq" },
    { name: "value", label: "Value (comma-separated for a list)", type: "text" },
  ] },
  interest: { name: "Interests", controls: [
    { name: "field", label: "List field", type: "text", value: "interests" },
    { name: "any_of", label: "Holds any of (comma-separated)", type: "list" },
  ] },
  topic: { name: "Other topics", controls: [
    { name: "all_of", label: "Also in all of these topics (comma-separated)", type: "list" },
    { name: "none_of", label: "In none of these topics (comma-separated)", type: "list" },
  ] },
  status: { name: "Contact status", controls: [
    { name: "in", label: "Status is one of", type: "checks", options: [["subscribed", "subscribed"], ["pending", "pending"], ["unsubscribed", "unsubscribed"]], value: ["subscribed"] },
  ] },
  stage: { name: "Lifecycle stage", controls: [
    { name: "in", label: "Stage is one of (comma-separated, e.g. lead, customer)", type: "list" },
  ] },
  score: { name: "Score", controls: [
    { name: "min", label: "At least (empty: no minimum)", type: "number" },
    { name: "max", label: "At most (empty: no maximum)", type: "number" },
  ] },
  activity: { name: "Activity", controls: [
    { name: "active", label: "Who", type: "select", options: [["true", "acted"], ["false", "did not act"]], value: "true" },
    { name: "event", label: "Counting", type: "select", options: [["any", "any activity (forms, preferences, opens, clicks)"], ["engaged", "opens and clicks only"], ["custom", "a custom event (POST /events)"]], value: "any" },
    { name: "name", label: "Custom event name (e.g. purchased)", type: "text" },
    { name: "within_days", label: "Within the last … days", type: "number", value: 30 },
  ] },
};

const split = (text) => String(text || "").split(",").map((s) => s.trim()).filter(Boolean);
const shown = (value) => (Array.isArray(value) ? value.join(", ") : value === undefined || value === null ? "" : String(value));

function control(spec, id, value, readOnly, names) {
  const describedBy = id + "-error";
  if (spec.type === "select") {
    const node = h("select", { id, name: names + spec.name, disabled: readOnly, "aria-describedby": describedBy },
      spec.options.map(([v, label]) => h("option", { value: v }, label)));
    node.value = String(value ?? spec.value);
    return h("div", {}, h("label", { for: id }, spec.label), node);
  }
  if (spec.type === "checks") {
    const chosen = new Set(value || spec.value);
    return h("fieldset", { class: "checks", id }, h("legend", {}, spec.label),
      spec.options.map(([v, label]) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: names + spec.name, value: v, checked: chosen.has(v), disabled: readOnly }), " " + label)));
  }
  const node = h("input", {
    id, name: names + spec.name, autocomplete: "off", readonly: readOnly, "aria-describedby": describedBy,
    type: spec.type === "number" ? "number" : "text", step: spec.type === "number" ? "any" : false,
  });
  node.value = shown(value ?? spec.value);
  return h("div", {}, h("label", { for: id }, spec.label), node);
}

/** One condition's fieldset; `onKind(kind)` when its kind is changed, `onRemove()`; `prefix`
    starts its ids and `names` its controls' names (a journey's form holds several). */
export function conditionRow(condition, index, { readOnly, onKind, onRemove, prefix = "cond-", names = "" }) {
  const id = prefix + index;
  const kind = h("select", { id: id + "-kind", name: names + "kind", disabled: readOnly, "aria-describedby": id + "-error" },
    Object.entries(KINDS).map(([k, spec]) => h("option", { value: k }, spec.name)));
  kind.value = condition.kind;
  kind.addEventListener("change", () => onKind(kind.value));
  const spec = KINDS[condition.kind];
  const remove = readOnly ? null : h("button", { type: "button", class: "secondary", "data-remove": index }, "Remove condition " + (index + 1));
  remove?.addEventListener("click", onRemove);
  const row = h("fieldset", { class: "condition", "data-kind": condition.kind, "data-index": index, "data-names": names },
    h("legend", {}, "Condition " + (index + 1)),
    h("div", { class: "controls" },
      h("div", {}, h("label", { for: id + "-kind" }, "Kind"), kind),
      spec.controls.map((c) => control(c, id + "-" + c.name, condition[c.name], readOnly, names))),
    h("p", { class: "error", id: id + "-error", "data-condition-error": index }),
    remove);
  if (condition.kind === "activity") {
    const event = row.querySelector(`select[name="${names}event"]`);
    const name = row.querySelector(`input[name="${names}name"]`);
    const hide = () => { name.parentElement.hidden = event.value !== "custom"; };
    event.addEventListener("change", hide);
    hide();
  }
  if (condition.kind === "field") {
    const op = row.querySelector(`select[name="${names}op"]`);
    const value = row.querySelector(`input[name="${names}value"]`);
    const hide = () => { value.parentElement.hidden = NO_VALUE.has(op.value); };
    op.addEventListener("change", hide);
    hide();
  }
  return row;
}

/** A condition as the API takes it, read from its fieldset. */
export function readCondition(row) {
  const kind = row.dataset.kind;
  const names = row.dataset.names || "";
  const out = { kind };
  for (const spec of KINDS[kind].controls) {
    if (spec.type === "checks") {
      out[spec.name] = [...row.querySelectorAll(`input[name="${names}${spec.name}"]:checked`)].map((c) => c.value);
      continue;
    }
    const raw = row.querySelector(`[name="${names}${spec.name}"]`).value;
    if (spec.type === "list") out[spec.name] = split(raw);
    else if (spec.type === "number") { if (raw.trim() !== "") out[spec.name] = Number(raw); }
    else if (spec.name === "active") out.active = raw === "true";
    else out[spec.name] = raw.trim();
  }
  if (kind === "activity" && (out.event !== "custom" || !out.name)) delete out.name;
  if (kind === "field") {
    if (NO_VALUE.has(out.op)) delete out.value;
    else if (LIST_OPS.has(out.op)) out.value = split(out.value);
  }
  return out;
}

/** A new condition of `kind` with its defaults. */
export function blank(kind) {
  const out = { kind };
  for (const spec of KINDS[kind].controls) if (spec.value !== undefined) out[spec.name] = spec.name === "active" ? spec.value === "true" : spec.value;
  return out;
}

/** One line a person reads: "Profile field: company is Acme". */
export function describe(condition) {
  const name = (KINDS[condition.kind] || { name: condition.kind }).name;
  const parts = Object.entries(condition).filter(([k, v]) => k !== "kind" && v !== null && v !== undefined && shown(v) !== "")
    .map(([k, v]) => k.replace(/_/g, " ") + " " + shown(v));
  return name + ": " + parts.join(", ");
}
