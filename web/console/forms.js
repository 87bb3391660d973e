/* Forms: the definitions a page at a time (GET /admin/forms), one opened (GET /admin/forms/{id})
   and every part of it edited: title, fields (name, label, type, required, length, choices, in
   order), consent text and version, topics, double opt-in, allowed origins, where a visitor goes
   next (redirect, site, thank-you), the button's label; saved with the version read (PUT; 409 if
   someone saved since). The live preview is drawn by web/ecrm-form.js itself (`ecrmForm.preview`)
   from what the fields hold; the embed snippet is the one a site pastes. */

import { api } from "./api.js";
import { catalogue } from "./catalogue.js";
import { h, replace, say, showRefusal } from "./dom.js";
import { fieldRows } from "./form_fields.js";
import { setting } from "./session.js";

const lines = (text) => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

function field(label, control, hint) {
  const id = control.id;
  return h("div", { class: "field" }, h("label", { for: id }, label), hint ? h("p", { class: "note", id: id + "-hint" }, hint) : null,
    control, h("p", { id: id + "-error", class: "error" }));
}

function control(tag, id, name, value, readOnly, extra = {}) {
  const node = h(tag, { id, name, autocomplete: "off", readonly: readOnly, "aria-describedby": id + "-error", ...extra });
  node.value = value ?? "";
  return node;
}

/** Where ecrm-form.js is on this origin: the snippet's script URL's path (/web/… locally). */
function scriptUrl() {
  return new URL(setting("form_script") || "/ecrm-form.js", location.href);
}

let script = null;
async function formScript() {
  const url = scriptUrl();
  if (!document.querySelector("link[data-ecrm-form-css]")) {
    document.head.append(h("link", { rel: "stylesheet", href: url.pathname.replace(/\.js$/, ".css"), "data-ecrm-form-css": "" }));
  }
  script = script || import(location.origin + url.pathname);  // a classic script, run once
  await script;
  return window.ecrmForm;
}

function snippet(id) {
  const src = scriptUrl().href;
  const apiBase = (setting("form_api") || location.origin).replace(/\/+$/, "");
  return [
    `<link rel="stylesheet" href="${src.replace(/\.js$/, ".css")}">`,
    `<form data-ecrm-form="${id}" data-ecrm-api="${apiBase}"`,
    `      method="post" action="${apiBase}/forms/${id}/submissions"></form>`,
    `<script src="${src}" defer></script>`,
  ].join("\n");
}

function embedSection(id) {
  const text = h("textarea", { id: "embed-code", readonly: true, rows: 5, spellcheck: "false", class: "snippet" });
  text.value = snippet(id);
  const said = h("p", { id: "embed-said", class: "note", "aria-live": "polite" });
  const copy = h("button", { type: "button", id: "embed-copy" }, "Copy the snippet");
  copy.addEventListener("click", async () => {
    text.select();
    try {
      await navigator.clipboard.writeText(text.value);
    } catch {
      document.execCommand("copy");  // a browser without the clipboard API: the selection
    }
    said.textContent = "Copied: paste it into the page where the form goes.";
  });
  return [h("h2", {}, "Embed"),
    h("p", { class: "note" }, "Paste this where the form goes; the page's origin must be one of the allowed origins. Without JavaScript the form still posts."),
    h("label", { for: "embed-code" }, "Snippet"), text, copy, said];
}

function previewSection() {
  const box = h("form", { id: "form-preview", "aria-label": "Preview", novalidate: true });
  const said = h("p", { id: "form-preview-said", class: "note", "aria-live": "polite" });
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    said.textContent = "A preview: nothing is sent.";
  });
  const thanks = h("p", { id: "form-preview-thanks", class: "quote" });
  async function show(def) {
    try {
      (await formScript()).preview(box, def);
      thanks.textContent = def.redirect_url ? "Then the visitor goes to " + def.redirect_url : "Then: " + def.thank_you;
    } catch (error) {
      replace(box, h("p", { class: "error" }, "The preview could not be drawn: " + error.message));
    }
  }
  return { section: [h("h2", {}, "Preview"), h("p", { class: "note" }, "Drawn by ecrm-form.js, as a site shows it, from what the fields hold (unsaved)."),
    h("div", { class: "form-preview" }, box), said, thanks], show };
}

function editor(area, found, canChange, done) {
  const isNew = !found;
  const f = found || { id: "", title: "", fields: [{ name: "email", label: "Email", type: "email", required: true, max_length: 254 }],
    consent: null, topics: [], double_opt_in: true, redirect_url: null, site_url: null, allowed_origins: [],
    submit_label: "Subscribe", thank_you: "Thank you!" };
  const ro = !canChange;
  const problem = h("p", { id: "form-problem", class: "error", role: "alert" });
  const rows = fieldRows(f.fields, ro, () => changed());
  const optIn = h("input", { type: "checkbox", id: "form-doi", name: "double_opt_in", disabled: ro, "aria-describedby": "form-doi-error" });
  optIn.checked = f.double_opt_in;
  const form = h("form", { id: "form-definition", novalidate: true },
    isNew ? field("Id (lower case, digits, -)", control("input", "form-id", "id", "", false)) : null,
    field("Title", control("input", "form-title", "title", f.title, ro)),
    h("h3", {}, "Fields"), rows.box,
    h("h3", {}, "Consent and topics"),
    field("Consent text (empty: no consent box)", control("textarea", "form-consent", "consent.text", f.consent?.text, ro, { rows: 3 })),
    field("Consent version", control("input", "form-consent-version", "consent.version", f.consent?.version, ro)),
    field("Topics (ids, comma-separated)", control("input", "form-topics", "topics", f.topics.join(", "), ro)),
    h("div", { class: "field check" }, optIn, h("label", { for: "form-doi" }, "Double opt-in: topics take effect once the address's owner clicks the mailed link"),
      h("p", { id: "form-doi-error", class: "error" })),
    h("h3", {}, "Where it works, and what follows"),
    field("Allowed origins (one per line, e.g. https://www.example.com)", control("textarea", "form-origins", "allowed_origins", f.allowed_origins.join("\n"), ro, { rows: 2 })),
    field("Button label", control("input", "form-submit", "submit_label", f.submit_label, ro)),
    field("Thank-you message", control("input", "form-thanks", "thank_you", f.thank_you, ro)),
    field("Redirect to (empty: show the thank-you message)", control("input", "form-redirect", "redirect_url", f.redirect_url, ro, { type: "url" })),
    field("The site's address (links back from the plain form's pages)", control("input", "form-site", "site_url", f.site_url, ro, { type: "url" })),
    problem,
    canChange ? h("div", { class: "actions" },
      h("button", { type: "submit" }, isNew ? "Create" : "Save"),
      h("button", { type: "button", class: "secondary", id: "form-close" }, "Close")) : null);
  const value = (name) => form.elements.namedItem(name).value;
  const draft = () => {
    const consent = value("consent.text").trim();
    return {
      title: value("title"), fields: rows.value(),
      consent: consent ? { text: consent, version: value("consent.version").trim() } : null,
      topics: lines(value("topics")), double_opt_in: optIn.checked,
      allowed_origins: lines(value("allowed_origins")),
      submit_label: value("submit_label"), thank_you: value("thank_you"),
      redirect_url: value("redirect_url").trim() || null, site_url: value("site_url").trim() || null,
    };
  };
  const preview = previewSection();
  let drawing = null;
  function changed() {
    clearTimeout(drawing);
    drawing = setTimeout(() => preview.show(draft()), 250);
  }
  form.addEventListener("input", changed);
  replace(area,
    h("h2", { id: "editing", tabindex: "-1" }, isNew ? "New form" : "Form " + f.id + " · version " + f.version),
    h("div", { class: "form-columns" }, h("div", {}, form), h("div", {}, preview.section, isNew ? null : embedSection(f.id))),
    canChange ? null : h("p", { class: "note" }, "Read only: forms are changed by marketers."));
  preview.show(draft());
  if (!canChange) return;
  let version = f.version;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    for (const help of form.querySelectorAll("p.error")) help.textContent = "";
    const id = isNew ? value("id").trim() : f.id;
    say("Saving…");
    try {
      const saved = await api("/admin/forms/" + encodeURIComponent(id || "-"), { method: "PUT", body: { ...draft(), ...(isNew ? {} : { version }) } });
      say("Saved: version " + saved.version + ".");
      if (isNew) return done(saved.id);
      version = saved.version;
      area.querySelector("#editing").textContent = "Form " + saved.id + " · version " + saved.version;
    } catch (error) {
      say("");
      // A problem with the whole definition (one email field, unique names) has no field.
      const placed = showRefusal(form, error, problem, { form_id: "id" });
      if (!placed || error.fields.request) problem.textContent = error.fields.request || error.message;
    }
  });
  form.querySelector("#form-close").addEventListener("click", () => done(null));
}

export function forms(main, options) {
  return catalogue(main, options, {
    kind: "form", path: "/admin/forms", title: "Forms", firstStep: "create",
    intro: "The sign-up forms on your sites: their fields, consent, topics and opt-in, drawn by ecrm-form.js.",
    columns: ["Id", "Title", "Topics", "Opt-in", "Version"],
    cells: (row) => [row.id, row.title, row.topics.join(", ") || "none",
      row.double_opt_in ? "double" : "single", String(row.version)],
    editor,
  });
}
