/* The new-campaign wizard: one form, one step shown at a time (template and name, segment,
   sender, an optional A/B test (ab_setup.js), review), moved through with Next and Back (Enter
   is Next); each step's heading takes the focus. The review shows the segment's audience now (GET …/count) and the
   template's preview (POST …/preview, an address only), then creates the draft
   (POST /admin/campaigns). A refusal goes back to the step of the field it names. Step 6,
   the test send and sending now or later, is the draft's own page (campaigns.js). */

import { abStep, describe } from "./ab_setup.js";
import { api } from "./api.js";
import { h, replace, showRefusal } from "./dom.js";

const number = new Intl.NumberFormat("en-GB");

function field(label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), hint ? h("p", { class: "note" }, hint) : null,
    control, h("p", { id: control.id + "-error", class: "error" }));
}

function control(name, id, attributes = {}) {
  return h("input", { id, name, autocomplete: "off", "aria-describedby": id + "-error", ...attributes });
}

function choice(name, id, items, describe) {
  return h("select", { id, name, "aria-describedby": id + "-error" },
    h("option", { value: "" }, "Choose…"), items.map((item) => h("option", { value: item.id }, describe(item))));
}

/** Fills `area` with the wizard; `done(campaignId | null)` when created or closed. */
export async function wizard(area, done) {
  const [templates, segments] = await Promise.all([api("/admin/templates?limit=100"), api("/admin/segments?limit=100")]);
  const template = choice("template_id", "wiz-template", templates.items, (t) => t.name + " (" + t.id + ")");
  const segment = choice("segment_id", "wiz-segment", segments.items, (s) => s.name + " (" + s.id + ", topic " + s.topic + ")");
  const ab = abStep(templates.items);
  const review = h("div", { id: "wiz-review", "aria-live": "polite" });
  const problem = h("p", { id: "wiz-problem", class: "error", role: "alert" });
  const steps = [
    ["Template and name", [
      field("Campaign name", control("name", "wiz-name")),
      templates.items.length ? field("Template", template) : h("p", { class: "note" }, "No template yet: write one on the Templates screen first."),
    ]],
    ["Segment", [segments.items.length ? field("Segment (who gets it)", segment) : h("p", { class: "note" }, "No segment yet: build one on the Segments screen first.")]],
    ["Sender", [
      field("From address", control("sender.email", "wiz-from", { type: "email" }), "An address of the stack's verified sending domain."),
      field("From name", control("sender.name", "wiz-from-name")),
      field("Replies go to (optional)", control("sender.reply_to", "wiz-reply-to", { type: "email" })),
    ]],
    ["A/B test (optional)", ab.content],
    ["Review", [review]],
  ];
  const sections = steps.map(([title, content], i) => h("fieldset", { class: "step", "data-step": i, hidden: i > 0 },
    h("legend", {}, h("span", { id: "wiz-step-" + i, tabindex: "-1" }, "Step " + (i + 1) + " of 6: " + title)), content));
  const back = h("button", { type: "button", class: "secondary", id: "wiz-back", hidden: true }, "Back");
  const next = h("button", { type: "submit", id: "wiz-next" }, "Next");
  const close = h("button", { type: "button", class: "secondary", id: "wiz-close" }, "Close");
  const form = h("form", { id: "wizard", novalidate: true }, sections, problem, h("div", { class: "actions" }, back, next, close));
  let step = 0;

  const value = (name) => form.elements.namedItem(name).value.trim();
  function body() {
    const sender = { email: value("sender.email"), name: value("sender.name") };
    if (value("sender.reply_to")) sender.reply_to = value("sender.reply_to");
    const test = ab.read();
    return { name: value("name"), template_id: template.value, segment_id: segment.value, sender, ...(test ? { ab_test: test } : {}) };
  }
  async function show(n) {
    step = n;
    sections.forEach((s, i) => { s.hidden = i !== n; });
    back.hidden = n === 0;
    next.textContent = n === steps.length - 1 ? "Create the draft" : "Next";
    problem.textContent = "";
    if (n === steps.length - 1) await fillReview();
    form.querySelector("#wiz-step-" + n).focus();
  }
  async function fillReview() {
    const b = body();
    replace(review, h("p", { class: "note" }, "Counting the audience and rendering the preview…"));
    const [counted, preview] = await Promise.all([
      api("/admin/segments/" + encodeURIComponent(b.segment_id) + "/count"),
      api("/admin/templates/" + encodeURIComponent(b.template_id) + "/preview", { method: "POST", body: {} }),
    ]);
    replace(review,
      h("dl", { class: "pairs" }, [["Name", b.name], ["Template", b.template_id], ["Segment", b.segment_id],
        ["From", b.sender.name + " <" + b.sender.email + ">"], ...describe(b.ab_test)].map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
      h("p", { id: "wiz-audience", class: "big" }, number.format(counted.members) + (counted.complete ? "" : "+"), h("span", {}, " contacts would get it now")),
      h("h3", {}, "Preview (for an address only)"),
      h("p", { id: "wiz-subject" }, "Subject: " + preview.subject),
      h("iframe", { id: "wiz-preview", title: "The HTML part as rendered", sandbox: "", srcdoc: preview.html, referrerpolicy: "no-referrer" }));
  }
  // What each step needs before Next (the API checks the rest on creating).
  const needs = [
    () => (!value("name") ? ["name", "Give the campaign a name."] : !template.value ? ["template_id", "Choose a template."] : null),
    () => (!segment.value ? ["segment_id", "Choose a segment."] : null),
    () => (!value("sender.email") ? ["sender.email", "Type the address it comes from."] : !value("sender.name") ? ["sender.name", "Type the name it comes from."] : null),
    () => null, // the A/B test: the API checks it on creating
  ];
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const help of form.querySelectorAll(".field .error")) help.textContent = "";
    try {
      if (step < steps.length - 1) {
        const missing = needs[step]();
        if (missing) return showRefusal(form, { fields: { [missing[0]]: missing[1] }, message: missing[1] }, problem);
        return await show(step + 1);
      }
      const created = await api("/admin/campaigns", { method: "POST", body: body() });
      return done(created.id);
    } catch (error) {
      // A problem with the test as a whole (test and holdout over 100 %) is said at its share.
      if (error.fields?.ab_test) error.fields = { "ab_test.test_percent": error.fields.ab_test, ...error.fields };
      const first = Object.keys(error.fields || {})[0];
      const owner = first && form.elements.namedItem(first)?.closest("fieldset.step");
      if (owner) await show(Number(owner.dataset.step));
      if (!showRefusal(form, error, problem)) problem.textContent = error.message;
    }
  });
  back.addEventListener("click", () => show(step - 1));
  close.addEventListener("click", () => done(null));
  replace(area, h("h2", { id: "editing", tabindex: "-1" }, "New campaign"), form);
  area.querySelector("#editing").focus();
}
