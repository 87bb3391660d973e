/* A scoring ruleset as fieldsets of controls named as the API names their fields
   (`engagement.3.points`), and back to the API's JSON. A refusal's field (`fit.0.range`,
   `engagement.2.cap.count`) is shown in the fieldset of the rule it names (`rulesetProblems`). */

import { h } from "./dom.js";

export const FIT_KINDS = { equals: "equals", contains: "contains", in: "is one of", range: "is in a range", email_domain: "email domain is" };
// What each fit kind needs besides its id and points.
const FIT_NEEDS = { equals: ["field", "value"], contains: ["field", "value"], in: ["field", "values"], range: ["field", "min", "max"], email_domain: ["domain"] };
export const EVENTS = ["form_submitted", "confirmed", "email_delivered", "email_opened", "email_clicked",
  "email_bounced", "email_complained", "preferences_updated", "signed_in", "unsubscribed", "custom_event"];
const PERIODS = ["hour", "day", "week"];

const idOf = (name) => name.replaceAll(".", "-");
const text = (value) => (value === undefined || value === null ? "" : String(value));

function control(name, label, value, { readOnly, type = "text", describedBy, choices, extra = {} }) {
  const id = idOf(name);
  let node;
  if (choices) {
    node = h("select", { id, name, disabled: readOnly, "aria-describedby": describedBy },
      Object.entries(choices).map(([v, t]) => h("option", { value: v, selected: v === text(value) }, t)));
  } else {
    node = h("input", { id, name, type, autocomplete: "off", readonly: readOnly, "aria-describedby": describedBy, ...extra });
    node.value = text(value);
  }
  return h("div", { class: "field", "data-part": name.split(".").slice(2).join(".") }, h("label", { for: id }, label), node);
}

const choicesOf = (list) => Object.fromEntries(list.map((v) => [v, v.replaceAll("_", " ")]));

function row(part, index, legend, controls, { readOnly, onRemove }) {
  const error = part + "-" + index + "-error";
  const remove = readOnly ? null : h("button", { type: "button", class: "small secondary", "aria-label": "Remove " + legend.toLowerCase() }, "Remove");
  remove?.addEventListener("click", onRemove);
  return h("fieldset", { class: "field-row", "data-rule": part + "." + index },
    h("legend", {}, legend), h("div", { class: "row-controls" }, controls(error)),
    h("p", { id: error, class: "error", "data-error": part + "." + index, tabindex: "-1" }), remove);
}

export function fitRow(rule, i, how) {
  const name = (part) => `fit.${i}.${part}`;
  const node = row("fit", i, "Fit rule " + (i + 1) + (rule.id ? " · " + rule.id : ""), (error) => {
    const o = { readOnly: how.readOnly, describedBy: error };
    return [
      control(name("id"), "Id", rule.id, o),
      control(name("kind"), "Test", rule.kind, { ...o, choices: FIT_KINDS }),
      control(name("field"), "Profile field", rule.field, o),
      control(name("value"), "Value", rule.value, o),
      control(name("values"), "Values (commas between)", (rule.values || []).join(", "), o),
      control(name("min"), "At least", rule.min, { ...o, type: "number", extra: { step: "any" } }),
      control(name("max"), "At most", rule.max, { ...o, type: "number", extra: { step: "any" } }),
      control(name("domain"), "Domain", rule.domain || "company", { ...o, choices: { company: "a company's", free_mail: "a free mail provider's" } }),
      control(name("points"), "Points", rule.points, { ...o, type: "number", extra: { step: "any" } }),
    ];
  }, how);
  const kind = node.querySelector(`[name="${name("kind")}"]`);
  const shown = () => {
    for (const part of ["field", "value", "values", "min", "max", "domain"]) {
      node.querySelector(`[data-part="${part}"]`).hidden = !FIT_NEEDS[kind.value].includes(part);
    }
  };
  kind.addEventListener("change", shown);
  shown();
  return node;
}

export function engagementRow(rule, i, how) {
  const name = (part) => `engagement.${i}.${part}`;
  const node = row("engagement", i, "Engagement rule " + (i + 1) + (rule.id ? " · " + rule.id : ""), (error) => {
    const o = { readOnly: how.readOnly, describedBy: error };
    return [
      control(name("id"), "Id", rule.id, o),
      control(name("on"), "On", rule.on, { ...o, choices: choicesOf(EVENTS) }),
      control(name("points"), "Points", rule.points, { ...o, type: "number", extra: { step: "any" } }),
      control(name("cap.count"), "At most (times)", rule.cap?.count, { ...o, type: "number", extra: { min: 1 } }),
      control(name("cap.per"), "Per", rule.cap?.per || "day", { ...o, choices: choicesOf(PERIODS) }),
      control(name("per_form"), "Points per form (form=points, …)",
        Object.entries(rule.per_form || {}).map(([f, p]) => f + "=" + p).join(", "), o),
      control(name("event"), "Event name (POST /events)", rule.event, o),
    ];
  }, how);
  const on = node.querySelector(`[name="${name("on")}"]`);
  const shown = () => {
    node.querySelector('[data-part="per_form"]').hidden = on.value !== "form_submitted";
    node.querySelector('[data-part="event"]').hidden = on.value !== "custom_event";
  };
  on.addEventListener("change", shown);
  shown();
  return node;
}

export function stageRow(stage, i, how) {
  return row("stages", i, "Stage " + (i + 1), (error) => {
    const o = { readOnly: how.readOnly, describedBy: error };
    return [
      control(`stages.${i}.name`, "Name", stage.name, o),
      i === 0 ? h("p", { class: "note" }, "Where every contact starts.")
        : control(`stages.${i}.at_least`, "From score", stage.at_least, { ...o, type: "number", extra: { step: "any" } }),
    ];
  }, { ...how, onRemove: how.onRemove });
}

// --- back to the API's JSON: what is typed, as typed (the API says what is wrong) ---------------

const numberOr = (value) => {
  const t = value.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
};
const scalar = (t) => (/^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t === "true" ? true : t === "false" ? false : t);

export function readRuleset(form) {
  const v = (name) => form.elements.namedItem(name)?.value ?? "";
  const count = (part) => form.querySelectorAll(`fieldset[data-rule^="${part}."]`).length;
  const fit = [...Array(count("fit")).keys()].map((i) => {
    const kind = v(`fit.${i}.kind`);
    const rule = { kind, id: v(`fit.${i}.id`).trim(), points: numberOr(v(`fit.${i}.points`)) };
    if (FIT_NEEDS[kind].includes("field")) rule.field = v(`fit.${i}.field`).trim();
    if (kind === "equals") rule.value = scalar(v(`fit.${i}.value`).trim());
    if (kind === "contains") rule.value = v(`fit.${i}.value`).trim();
    if (kind === "in") rule.values = v(`fit.${i}.values`).split(",").map((s) => s.trim()).filter(Boolean).map(scalar);
    if (kind === "range") {
      for (const bound of ["min", "max"]) if (numberOr(v(`fit.${i}.${bound}`)) !== null) rule[bound] = numberOr(v(`fit.${i}.${bound}`));
    }
    if (kind === "email_domain") rule.domain = v(`fit.${i}.domain`);
    return rule;
  });
  const engagement = [...Array(count("engagement")).keys()].map((i) => {
    const name = (part) => `engagement.${i}.${part}`;
    const rule = { id: v(name("id")).trim(), on: v(name("on")), points: numberOr(v(name("points"))) };
    if (numberOr(v(name("cap.count"))) !== null) rule.cap = { count: numberOr(v(name("cap.count"))), per: v(name("cap.per")) };
    if (rule.on === "custom_event") rule.event = v(name("event")).trim();
    if (rule.on === "form_submitted" && v(name("per_form")).trim()) {
      rule.per_form = Object.fromEntries(v(name("per_form")).split(",").map((pair) => pair.split("="))
        .map(([f, p]) => [(f || "").trim(), numberOr(p || "")]));
    }
    return rule;
  });
  const stages = [...Array(count("stages")).keys()].map((i) =>
    i === 0 ? { name: v("stages.0.name").trim() } : { name: v(`stages.${i}.name`).trim(), at_least: numberOr(v(`stages.${i}.at_least`)) });
  return { fit, engagement, decay: { half_life_days: numberOr(v("decay.half_life_days")) }, stages, demote: form.elements.namedItem("demote").checked };
}

/** Each of a refusal's fields in the fieldset of the rule it names, its control marked;
    returns the first control (or fieldset) to focus, or null when none was placed. */
export function rulesetProblems(form, error, general) {
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of form.querySelectorAll("[data-error]")) node.textContent = "";
  general.textContent = "";
  let first = null;
  for (const [field, message] of Object.entries(error.fields || {})) {
    const found = /^(fit|engagement|stages)\.(\d+)(?:\.(.+))?$/.exec(field);
    const where = found ? found[1] + "." + found[2]
      : field.startsWith("decay") ? "decay" : field === "stages" || (field === "ruleset" && /stage/i.test(message)) ? "stages" : null;
    const slot = where && form.querySelector(`[data-error="${where}"]`);
    if (!slot) {
      general.textContent = (general.textContent ? general.textContent + " " : "") + message + ".";
      continue;
    }
    const part = found && found[3] ? found[3].replace(/^(equals|contains|in|range|email_domain)\.?/, "") : "";
    slot.textContent = (slot.textContent ? slot.textContent + " " : "") + (part ? part + ": " : "") + message + ".";
    const control = form.elements.namedItem(field) || (found && form.elements.namedItem(where + "." + part));
    if (control && control.setAttribute) control.setAttribute("aria-invalid", "true");
    first = first || control || slot;
  }
  if (!first && !general.textContent && error.message) general.textContent = error.message;
  return first;
}
