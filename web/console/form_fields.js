/* A form's fields as rows of controls (forms.js): name, label, type, required, maximum length and
   choices, added, removed and moved up or down. Each control is named as the API names it in a
   refusal (`fields.2.label`), so showRefusal puts a problem next to it; a whole field's problem
   (`fields.2`, e.g. choices missing) goes by its fieldset. */

import { h, replace } from "./dom.js";

const TYPES = ["email", "text", "textarea", "name", "phone", "date", "choice", "multi_choice", "checkbox"];
const TYPE_NAMES = { multi_choice: "several choices", choice: "one choice", textarea: "long text" };
const HAS_CHOICES = new Set(["choice", "multi_choice"]);

function labelled(label, node, wide = false) {
  return h("div", { class: wide ? "field wide" : "field" }, h("label", { for: node.id }, label), node, h("p", { id: node.id + "-error", class: "error" }));
}

export function fieldRows(initial, readOnly, onChange) {
  const fields = initial.map((f) => ({ required: false, max_length: 200, type: "text", ...f, choices: f.choices || [] }));
  const box = h("div", { id: "form-fields" });
  const said = h("p", { class: "note", "aria-live": "polite", id: "form-fields-said" });

  function row(f, i) {
    const id = "field-" + i;
    const name = "fields." + i;
    const input = (key, extra = {}) => {
      const node = h("input", { id: id + "-" + key, name: name + "." + key, autocomplete: "off", readonly: readOnly, "aria-describedby": id + "-" + key + "-error", ...extra });
      node.value = f[key] ?? "";
      node.addEventListener("input", () => { f[key] = extra.type === "number" ? Number(node.value) : node.value; });
      return node;
    };
    const type = h("select", { id: id + "-type", name: name + ".type", disabled: readOnly, "aria-describedby": id + "-type-error" },
      TYPES.map((t) => h("option", { value: t, selected: t === f.type }, TYPE_NAMES[t] || t)));
    const choices = h("textarea", { id: id + "-choices", name: name + ".choices", rows: 3, readonly: readOnly, "aria-describedby": id + "-choices-error" });
    choices.value = f.choices.join("\n");
    choices.addEventListener("input", () => { f.choices = choices.value.split("\n").map((s) => s.trim()).filter(Boolean); });
    const choiceBox = labelled("Choices (one per line)", choices, true);
    choiceBox.hidden = !HAS_CHOICES.has(f.type);
    type.addEventListener("change", () => { f.type = type.value; choiceBox.hidden = !HAS_CHOICES.has(f.type); });
    const required = h("input", { type: "checkbox", id: id + "-required", name: name + ".required", disabled: readOnly, "aria-describedby": id + "-required-error" });
    required.checked = f.required;
    required.addEventListener("change", () => { f.required = required.checked; });
    const move = (label, to, key) => {
      const button = h("button", { type: "button", class: "secondary small", "data-move": key, disabled: to < 0 || to >= fields.length }, label);
      button.addEventListener("click", () => {
        fields.splice(to, 0, fields.splice(i, 1)[0]);
        draw();
        said.textContent = "Field " + (f.label || f.name) + " is now number " + (to + 1) + ".";
        (box.querySelector(`#field-${to} [data-move="${key}"]:not([disabled])`) || box.querySelector(`#field-${to}-name`)).focus();
        onChange();
      });
      return button;
    };
    const remove = h("button", { type: "button", class: "danger small" }, "Remove");
    remove.addEventListener("click", () => {
      fields.splice(i, 1);
      draw();
      said.textContent = "Field " + (f.label || f.name) + " removed.";
      (box.querySelector("#field-" + Math.min(i, fields.length - 1) + "-name") || box.querySelector("#form-field-add")).focus();
      onChange();
    });
    return h("fieldset", { class: "field-row", id, name, "aria-describedby": id + "-error" },
      h("legend", {}, "Field " + (i + 1) + (f.label ? ": " + f.label : "")),
      h("div", { class: "row-controls" },
        labelled("Name", input("name", { pattern: "[a-z][a-z0-9_]*" })),
        labelled("Label", input("label")),
        labelled("Type", type),
        labelled("Max length", input("max_length", { type: "number", min: 1, max: 5000 }))),
      h("div", { class: "field check" }, required, h("label", { for: required.id }, "Required"), h("p", { id: id + "-required-error", class: "error" })),
      choiceBox,
      h("p", { id: id + "-error", class: "error" }),
      readOnly ? null : h("div", { class: "actions" }, move("Move up", i - 1, "up"), move("Move down", i + 1, "down"), remove));
  }

  function draw() {
    replace(box, fields.map(row), said, readOnly ? null : add);
  }
  const add = h("button", { type: "button", id: "form-field-add", class: "secondary" }, "Add a field");
  add.addEventListener("click", () => {
    fields.push({ name: "", label: "", type: "text", required: false, max_length: 200, choices: [] });
    draw();
    box.querySelector("#field-" + (fields.length - 1) + "-name").focus();
    onChange();
  });
  draw();
  return {
    box,
    value: () => fields.map((f) => {
      const out = { name: f.name.trim(), label: f.label, type: f.type, required: f.required, max_length: Number(f.max_length) || 200 };
      if (HAS_CHOICES.has(f.type)) out.choices = f.choices;
      return out;
    }),
  };
}
