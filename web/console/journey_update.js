/* A journey's update step in its form (journey_steps.js): fields of the profile schema set to a
   value (at most ten; a field of several choices takes them separated by commas, a checkbox
   yes or no), a topic taken away, a topic given back (the API gives it back only to someone a
   journey took it from). The field's control is named `steps.N.set.<field>`, as a refusal
   names it. The schema (GET /admin/profile-schema) fills the suggestions and the value types. */

import { h } from "./dom.js";

const types = new Map();  // field name -> schema type, once the editor has read the schema

export function knowSchema(schema) {
  for (const f of [...(schema.profile || []), ...(schema.interests || [])]) types.set(f.name, f.type);
}

function shown(value) {
  if (Array.isArray(value)) return value.join(", ");
  if (value === true || value === false) return value ? "yes" : "no";
  return value ?? "";
}

export function fromApi(s) {
  return { set: Object.entries(s.set || {}).map(([field, value]) => ({ field, value: shown(value) })),
    remove_topic: s.remove_topic || "", add_topic: s.add_topic || "" };
}

export function fresh() {
  return { set: [{ field: "", value: "" }], remove_topic: "", add_topic: "" };
}

export function toApi(s) {
  const set = {};
  for (const { field, value } of s.set) {
    const name = field.trim();
    if (!name) continue;
    const type = types.get(name);
    set[name] = type === "multi_choice" ? value.split(",").map((v) => v.trim()).filter(Boolean)
      : type === "checkbox" ? ["yes", "true", "1", "on"].includes(value.trim().toLowerCase()) : value.trim();
  }
  const out = { set: Object.keys(set).length ? set : null };
  if (s.remove_topic.trim()) out.remove_topic = s.remove_topic.trim();
  if (s.add_topic.trim()) out.add_topic = s.add_topic.trim();
  return out;
}

/** The step's controls; `c` gives the row's helpers (text, field, then, redraw, focus, readOnly). */
export function parts(step, c) {
  const rows = step.set.map((pair, m) => {
    const value = c.text("set." + (pair.field || "field" + m), pair.value, {}, (v) => { pair.value = v; });
    value.id = c.base + "-set-" + m + "-value";
    value.setAttribute("aria-describedby", value.id + "-error");
    const field = c.text("set_field." + m, pair.field, { list: "jo-fields" }, (v) => {
      pair.field = v.trim();
      value.name = c.name + ".set." + (pair.field || "field" + m);
    });
    const drop = h("button", { type: "button", class: "secondary small", disabled: c.readOnly }, "Remove field " + (m + 1));
    drop.addEventListener("click", () => {
      step.set.splice(m, 1);
      c.redraw();
      c.focus(step.set.length ? `-set_field-0` : `-remove_topic`);
    });
    return h("div", { class: "split-path" }, c.field("Field " + (m + 1), field),
      c.field("Set to", value, types.get(pair.field) === "multi_choice" ? "Several choices: separate them with commas." : ""), c.readOnly ? null : drop);
  });
  const more = h("button", { type: "button", class: "secondary small", disabled: step.set.length >= 10 }, "Set another field");
  more.addEventListener("click", () => {
    step.set.push({ field: "", value: "" });
    c.redraw();
    c.focus(`-set_field-${step.set.length - 1}`);
  });
  return [...rows, c.readOnly ? null : more,
    c.field("Take the topic away", c.text("remove_topic", step.remove_topic, { list: "jo-topics" })),
    c.field("Give the topic back", c.text("add_topic", step.add_topic, { list: "jo-topics" }),
      "Only to someone a journey took it from, still subscribed to the list: never a new subscription."),
    c.then("next", "Then")];
}
