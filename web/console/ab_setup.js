/* The wizard's A/B test step (optional): 2 to 5 variants, each replacing the subject, the
   template or the sender's name (or nothing: the campaign as it is, a control), a test share
   split evenly between them, an optional holdout that gets nothing, the metric and the wait
   before the best goes to the rest. Controls are named as the API names its fields
   (`ab_test.variants.1.subject`), so a refusal lands next to its control. Variants are
   lettered A to E in order. docs/design/ab-tests.md. */

import { h, replace } from "./dom.js";

const LETTERS = "ABCDE";
export const METRICS = { opens: "open rate (opens per mail sent)", clicks: "click rate (clicks per mail sent)",
  click_to_open: "click-to-open rate (clicks per open)" };

function field(label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), hint ? h("p", { class: "note" }, hint) : null,
    control, h("p", { id: control.id + "-error", class: "error" }));
}

function input(name, id, value, attributes = {}) {
  const node = h("input", { id, name, autocomplete: "off", "aria-describedby": id + "-error", ...attributes });
  node.value = value;
  return node;
}

/** The step's content and how to read it back: `read()` is the body's `ab_test` or null. */
export function abStep(templates) {
  const on = h("input", { type: "checkbox", id: "wiz-ab-on", "aria-controls": "wiz-ab" });
  const list = h("div", { id: "wiz-variants" });
  const add = h("button", { type: "button", class: "secondary small", id: "wiz-ab-add" }, "Add a variant");
  const metric = h("select", { id: "wiz-ab-metric", name: "ab_test.metric", "aria-describedby": "wiz-ab-metric-error" },
    Object.entries(METRICS).map(([value, text]) => h("option", { value, selected: value === "clicks" }, text)));
  const box = h("div", { id: "wiz-ab", hidden: true },
    h("p", { class: "note" }, "Each variant may replace the subject, the template or the sender's name; one that replaces nothing sends the campaign as it is."),
    list, add,
    h("div", { class: "row-controls" },
      field("Test share (% of the audience)", input("ab_test.test_percent", "wiz-ab-test", "20", { inputmode: "decimal" }), "Split evenly between the variants."),
      field("Holdout (%, optional)", input("ab_test.holdout_percent", "wiz-ab-holdout", "0", { inputmode: "decimal" }), "Gets nothing, to measure the lift."),
      field("Wait (hours)", input("ab_test.wait_hours", "wiz-ab-wait", "4", { inputmode: "decimal" }), "From the start to the decision: 0.25 to 168.")),
    field("The winner is the best", metric));
  let variants = [{}, {}];

  function variantFields(v, n) {
    const letter = LETTERS[n];
    const at = "ab_test.variants." + n + ".";
    const template = h("select", { id: "wiz-ab-" + n + "-template", name: at + "template_id", "aria-describedby": "wiz-ab-" + n + "-template-error" },
      h("option", { value: "" }, "The campaign's template"),
      templates.map((t) => h("option", { value: t.id, selected: t.id === v.template_id }, t.name + " (" + t.id + ")")));
    const remove = n >= 2 ? h("button", { type: "button", class: "secondary small", "data-remove": n }, "Remove variant " + letter) : null;
    return h("fieldset", { class: "field-row", "data-variant": letter }, h("legend", {}, "Variant " + letter),
      h("div", { class: "variant-controls" },
        field("Subject of " + letter + " (empty: the template's)", input(at + "subject", "wiz-ab-" + n + "-subject", v.subject || "")),
        field("Template of " + letter, template),
        field("Sender name of " + letter + " (empty: the campaign's)", input(at + "sender_name", "wiz-ab-" + n + "-sender", v.sender_name || ""))),
      remove);
  }
  function kept() {
    return variants.map((_, n) => Object.fromEntries(["subject", "template_id", "sender_name"].map((part) =>
      [part, list.querySelector(`[name="ab_test.variants.${n}.${part}"]`)?.value.trim() || ""])));
  }
  function draw() {
    replace(list, variants.map(variantFields));
    add.hidden = variants.length >= LETTERS.length;
  }
  on.addEventListener("change", () => { box.hidden = !on.checked; });
  add.addEventListener("click", () => {
    variants = kept().concat([{}]);
    draw();
    list.querySelector(`[name="ab_test.variants.${variants.length - 1}.subject"]`).focus();
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    variants = kept().filter((_, n) => n !== Number(button.dataset.remove));
    draw();
    add.focus();
  });
  draw();

  const number = (id) => { const text = box.querySelector("#" + id).value.trim(); return text === "" ? null : Number(text); };
  function read() {
    if (!on.checked) return null;
    return {
      variants: kept().map((v, n) => Object.fromEntries([["id", LETTERS[n]], ...Object.entries(v).filter(([, value]) => value)])),
      test_percent: number("wiz-ab-test"), holdout_percent: number("wiz-ab-holdout") ?? 0,
      metric: metric.value, wait_hours: number("wiz-ab-wait"),
    };
  }
  const content = [
    h("div", { class: "field check" }, on, h("label", { for: "wiz-ab-on" }, "Test variants on part of the audience, then send the best to the rest")),
    box,
  ];
  return { content, read, open: () => { on.checked = true; box.hidden = false; } };
}

/** The review's lines about a test (`ab` as `read()` gives it). */
export function describe(ab) {
  if (!ab) return [["A/B test", "none: everyone gets the campaign"]];
  const each = ab.test_percent / ab.variants.length;
  const changes = (v) => [v.subject && "subject “" + v.subject + "”", v.template_id && "template " + v.template_id,
    v.sender_name && "sender name " + v.sender_name].filter(Boolean).join(", ") || "the campaign as it is";
  return [
    ["A/B test", ab.variants.length + " variants to " + ab.test_percent + "% of the audience (" + Math.round(each * 10) / 10 + "% each)"
      + (ab.holdout_percent ? ", " + ab.holdout_percent + "% held out" : "") + "; after " + ab.wait_hours + " h the best "
      + (METRICS[ab.metric] || ab.metric).split(" (")[0] + " goes to the rest"],
    ...ab.variants.map((v) => ["Variant " + v.id, changes(v)]),
  ];
}
