/* Erasing a contact on its request (DELETE /admin/contacts/{id}), for marketers only: a modal
   dialog (showModal: focus stays in it, the page behind is inert, Escape cancels) asks to type
   the contact's address; the API checks it (a wrong one is refused next to the field, nothing
   erased). The address typed goes in the request's body, never in a URL. */

import { api } from "./api.js";
import { h, showRefusal } from "./dom.js";

function dialogFor(found, opener, onErased) {
  const input = h("input", { id: "erase-email", name: "email", type: "email", autocomplete: "off", required: true, "aria-describedby": "erase-email-error" });
  const problem = h("p", { id: "erase-email-error", class: "error" });
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const form = h("form", { novalidate: true },
    h("h1", { id: "erase-title" }, "Erase this contact?"),
    h("p", {}, "Everything held about ", h("strong", {}, found.email),
      " goes: profile, consent records, topics, interactions, scores. The address stays suppressed"
      + " (never mailed again unless its owner signs up and confirms again). This cannot be undone."),
    h("label", { for: "erase-email" }, "Type the contact's address to confirm"), input, problem,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Erase"), cancel));
  const dialog = h("dialog", { id: "erase", "aria-labelledby": "erase-title" }, form);
  const close = () => { dialog.close(); };
  dialog.addEventListener("close", () => { dialog.remove(); if (opener.isConnected) opener.focus(); });
  cancel.addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    if (!input.value.trim()) {
      problem.textContent = "Type the contact's address.";
      input.setAttribute("aria-invalid", "true");
      return input.focus();
    }
    try {
      const path = "/admin/contacts/" + encodeURIComponent(found.contact_id);
      const answer = await api(path, { method: "DELETE", body: { email: input.value } });
      dialog.close();
      onErased(answer);
    } catch (error) {
      if (!showRefusal(form, error, problem)) input.focus();
    }
  });
  return dialog;
}

/** The contact page's "Erase" section; `onErased(answer)` replaces the page when done. */
export function eraseSection(found, onErased) {
  const opener = h("button", { type: "button", class: "danger", id: "erase-open" }, "Erase this contact…");
  opener.addEventListener("click", () => {
    const dialog = dialogFor(found, opener, onErased);
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("input").focus();
  });
  return [
    h("h2", {}, "Erase"),
    h("p", { class: "note" }, "When the contact asks for it: everything about them goes, their address stays suppressed."),
    opener,
  ];
}
