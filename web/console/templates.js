/* Templates: the list a page at a time (GET /admin/templates), one template's subject, HTML and
   text in code fields (editor.js), saved with the version it was read at (PUT; 409 if someone
   saved since), created (POST) and deleted (DELETE; refused while a campaign uses it). Saving is
   checked by the API: a sandbox or syntax problem comes back as `line N: …` in its part's field
   and is shown there, with the line marked. The API's preview for a contact (POST …/preview) of
   what the fields hold, unsaved, each time typing pauses (the same checks, the same marks; a new
   template's too, before its first save), and a test send to yourself (POST …/test).
   Previews and test sends are writes to the API (POST): a viewer reads the source only. */

import { api } from "./api.js";
import { catalogue, deleteOnSecondPress } from "./catalogue.js";
import { codeField } from "./editor.js";
import { h, replace, say, showRefusal } from "./dom.js";
import { identity } from "./session.js";

const WHEN = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const when = (text) => (text ? WHEN.format(new Date(text)) + " UTC" : "");

function field(label, control, id, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), hint ? h("p", { class: "note", id: id + "-hint" }, hint) : null,
    control, h("p", { id: id + "-error", class: "error" }));
}

function input(id, name, value, readOnly, extra = {}) {
  const node = h("input", { id, name, autocomplete: "off", readonly: readOnly, "aria-describedby": id + "-error", ...extra });
  node.value = value || "";
  return node;
}

/** Marks the line a `line N: …` problem names in each code field. */
function markLines(error, fields, move = true) {
  for (const [part, message] of Object.entries(error.fields || {})) {
    const line = /^line (\d+):/.exec(message);
    if (line && fields[part]) fields[part].markLine(Number(line[1]), move);
  }
}

const PARTS = ["name", "subject", "html", "text"];

/** The preview renders what the fields hold (`draft()`, checked by the API as a save is, never
    stored); a problem in a part goes to `onProblem(error)`, null once they render. */
function previewSection(templateId, draft, onProblem) {
  const address = h("input", { id: "preview-email", name: "email", type: "email", autocomplete: "off", "aria-describedby": "preview-email-error" });
  const problem = h("p", { id: "preview-email-error", class: "error" });
  const out = h("div", { id: "preview", "aria-live": "polite" });
  const form = h("form", { id: "preview-form", novalidate: true },
    h("label", { for: "preview-email" }, "Preview for the contact with this address (empty: an address only)"),
    address, problem, h("button", { type: "submit" }, "Preview"));
  async function show() {
    problem.textContent = "";
    address.removeAttribute("aria-invalid");
    const body = { draft: draft() };
    try {
      if (address.value.trim()) {
        const found = await api("/admin/contacts?email=" + encodeURIComponent(address.value.trim()));
        body.contact_id = found.contact_id;
      }
      const shown = await api("/admin/templates/" + encodeURIComponent(templateId) + "/preview", { method: "POST", body });
      replace(out,
        h("h3", {}, "Subject"), h("p", { id: "preview-subject" }, shown.subject),
        h("h3", {}, "HTML part"),
        h("iframe", { id: "preview-html", title: "The HTML part as rendered", sandbox: "", srcdoc: shown.html, referrerpolicy: "no-referrer" }),
        h("h3", {}, "Text part"), h("pre", { id: "preview-text", class: "plain" }, shown.text));
      onProblem(null);
    } catch (error) {
      if (PARTS.some((part) => part in (error.fields || {}))) return onProblem(error);
      if (!showRefusal(form, error, null, { contact_id: "email" })) {
        problem.textContent = error.message;  // no such contact: about the address typed
        address.setAttribute("aria-invalid", "true");
      }
    }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); show(); });
  return { section: [h("h2", {}, "Preview"), form, out], show };
}

/** A test send to yourself of the saved template, no campaign needed (POST …/test): as a
    campaign of the topic would send it (its unsubscribe link), from the stack's own sender;
    the API refuses an address that said no, next to the field, and bounds the mails per hour. */
function testSection(templateId) {
  const to = input("test-to", "to", (identity() || {}).email, false, { type: "email" });
  const topic = input("test-topic", "topic", "", false, { placeholder: "the first topic" });
  const said = h("p", { id: "test-said", class: "note", "aria-live": "polite" });
  const form = h("form", { id: "test-form", novalidate: true },
    field("To (yourself)", to, "test-to"),
    field("Topic (its unsubscribe link; empty: the first topic)", topic, "test-topic"),
    h("button", { type: "submit" }, "Send a test"), said);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said.textContent = "";
    for (const help of form.querySelectorAll(".error")) help.textContent = "";
    const body = { to: [to.value.trim()] };
    if (topic.value.trim()) body.topic = topic.value.trim();
    try {
      const sent = await api("/admin/templates/" + encodeURIComponent(templateId) + "/test", { method: "POST", body });
      said.textContent = "Sent to " + to.value.trim() + " (" + sent.message_ids.length + " mail).";
    } catch (error) {
      showRefusal(form, error, said, { "to.0": "to", to: "to" });
    }
  });
  return [h("h2", {}, "Test send"), h("p", { class: "note" }, "Saved version, from the stack's own sender."), form];
}

/** Versions: any earlier one (kept a year by the API) loaded into the fields; saving it makes
    it the newest version. Nothing changes until Save. */
function versionsSection(t, fill, canChange) {
  const choice = h("select", { id: "tpl-version", name: "version", "aria-describedby": "tpl-version-said" },
    Array.from({ length: t.version }, (_, i) => t.version - i).map((n) =>
      h("option", { value: n }, "version " + n + (n === t.version ? " (current)" : ""))));
  const said = h("p", { id: "tpl-version-said", class: "note", "aria-live": "polite" });
  const load = h("button", { type: "button", id: "tpl-version-load" }, canChange ? "Load into the editor" : "Show");
  load.addEventListener("click", async () => {
    try {
      const found = await api("/admin/templates/" + encodeURIComponent(t.id) + "?version=" + encodeURIComponent(choice.value));
      fill(found);
      said.textContent = "Version " + found.version + " of " + when(found.updated_at) + " is in the fields" +
        (canChange && found.version !== t.version ? ": Save to make it the newest version." : ".");
    } catch (error) {
      said.textContent = error.message;
    }
  });
  return h("div", { class: "controls", id: "versions" }, h("div", {}, h("label", { for: "tpl-version" }, "Versions"), choice), load, said);
}

function editor(area, template, canChange, done) {
  const isNew = !template;
  const t = template || { id: "", name: "", subject: "", html: "", text: "", text_derived: true };
  const readOnly = !canChange;
  const codes = {
    html: codeField({ id: "tpl-html", name: "html", value: t.html, readOnly, describedBy: "tpl-html-error" }),
    text: codeField({ id: "tpl-text", name: "text", value: t.text_derived ? "" : t.text, readOnly, describedBy: "tpl-text-error" }),
  };
  const problem = h("p", { id: "tpl-problem", class: "error", role: "alert" });
  const form = h("form", { id: "template", novalidate: true },
    isNew ? field("Id (lower case, digits, -)", input("tpl-id", "id", "", false), "tpl-id") : null,
    field("Name", input("tpl-name", "name", t.name, readOnly), "tpl-name"),
    field("Subject", input("tpl-subject", "subject", t.subject, readOnly), "tpl-subject"),
    field("HTML", codes.html.box, "tpl-html", "Jinja: {{ contact.first_name }}, {% if %}, {% for %}; link {{ unsubscribe_url }}."),
    field("Text", codes.text.box, "tpl-text", t.text_derived ? "Empty: made from the HTML." : null),
    problem,
    canChange ? h("div", { class: "actions" },
      h("button", { type: "submit" }, isNew ? "Create" : "Save"),
      isNew ? null : h("button", { type: "button", class: "danger", id: "tpl-delete" }, "Delete"),
      h("button", { type: "button", class: "secondary", id: "tpl-close" }, "Close")) : null);
  const draft = () => {
    const body = { name: form.elements.namedItem("name").value, subject: form.elements.namedItem("subject").value, html: codes.html.textarea.value };
    if (codes.text.textarea.value.trim()) body.text = codes.text.textarea.value;
    return body;
  };
  // Problems of what is being typed: shown at their part and line, the focus and caret left be.
  const live = (error) => {
    for (const part of PARTS) {
      const control = form.elements.namedItem(part);
      const message = error && error.fields[part];
      document.getElementById("tpl-" + part + "-error").textContent = message || "";
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      if (codes[part]) codes[part].markLine(0, false);
    }
    if (error) markLines(error, codes, false);
  };
  // A new template is previewed too: a draft is rendered from its own parts, whatever the id.
  const preview = canChange ? previewSection(t.id || "new", draft, live) : null;
  const versions = h("div", {});
  const listVersions = (current) => replace(versions, current.version > 1 ? versionsSection(current, fill, canChange) : null);
  const fill = (found) => {
    form.elements.namedItem("name").value = found.name;
    form.elements.namedItem("subject").value = found.subject;
    codes.html.setValue(found.html);
    codes.text.setValue(found.text_derived ? "" : found.text);
    preview?.show();
  };
  replace(area,
    h("h2", { id: "editing", tabindex: "-1" }, isNew ? "New template" : "Template " + t.id + (t.version ? " · version " + t.version : "")),
    !isNew ? h("p", { class: "note" }, "Saved " + when(t.updated_at) + (t.contact_fields.length ? "; uses " + t.contact_fields.join(", ") : "")) : null,
    versions,
    form,
    preview ? preview.section : null,
    !isNew && canChange ? testSection(t.id) : null,
    canChange ? null : h("p", { class: "note" }, "Read only: previews and test sends are for marketers."));
  if (!isNew) listVersions(t);
  if (!canChange) return;
  let version = t.version;
  let typing = null;
  form.addEventListener("input", () => {  // the live preview: once typing pauses
    if (!preview) return;
    const body = draft();
    if (isNew && !(body.name.trim() && body.subject.trim() && body.html.trim())) return;  // not yet
    clearTimeout(typing);
    typing = setTimeout(() => preview.show(), 700);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    for (const help of form.querySelectorAll(".field > .error")) help.textContent = "";
    const body = draft();
    say("Saving…");
    try {
      let saved;
      if (isNew) saved = await api("/admin/templates", { method: "POST", body: { id: form.elements.namedItem("id").value.trim(), ...body } });
      else saved = await api("/admin/templates/" + encodeURIComponent(t.id), { method: "PUT", body: { ...body, version } });
      say("Saved: version " + saved.version + ".");
      if (isNew) return done(saved.id);
      version = saved.version;
      listVersions(saved);
      area.querySelector("#editing").textContent = "Template " + saved.id + " · version " + saved.version;
      if (preview) await preview.show();  // the preview follows every save
    } catch (error) {
      say("");
      if (!showRefusal(form, error, problem)) problem.textContent = error.message;
      markLines(error, codes);
    }
  });
  form.querySelector("#tpl-close").addEventListener("click", () => done(null));
  deleteOnSecondPress(form.querySelector("#tpl-delete"), {
    id: t.id, path: "/admin/templates", problem, done,
    warning: "Press again to delete it; a template a campaign or automation uses is kept.",
  });
}

export function templates(main, options) {
  return catalogue(main, options, {
    kind: "template", path: "/admin/templates", title: "Templates", firstStep: "create",
    intro: "The mails campaigns and automations send: a subject, an HTML part and a text part, personalised per contact.",
    columns: ["Id", "Name", "Subject", "Version", "Saved"],
    cells: (row) => [row.id, row.name, row.subject, String(row.version), when(row.updated_at)],
    editor,
  });
}
