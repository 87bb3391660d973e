// ecrm-form.js: progressive enhancement for ecrm forms. No dependencies, no build step.
//
//   <form data-ecrm-form="newsletter" data-ecrm-api="https://api.example.com/v1"
//         method="post" action="https://api.example.com/v1/forms/newsletter/submissions"></form>
//   <script src="ecrm-form.js" defer></script>
//
// An empty form is rendered from GET {api}/forms/{id}; a form with hand-written fields keeps
// them (they already work without JS). Either way the script then posts JSON with fetch, shows
// the API's errors next to their fields, and replaces the form by its thank-you message.
// data-ecrm-api="" means the API is on the page's own origin. Text from the server or the
// visitor only ever reaches the page through textContent, never innerHTML.
(() => {
  "use strict";

  const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  const AUTOCOMPLETE = { email: "email", first_name: "given-name", last_name: "family-name" };
  const INPUT_TYPE = { email: "email", phone: "tel", date: "date" }; // a date sends YYYY-MM-DD
  let formCount = 0;

  // createElement with properties (attributes when the name has a dash) and children.
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.includes("-")) node.setAttribute(key, value === true ? "" : value);
      else node[key] = value;
    }
    node.append(...children);
    return node;
  }

  // crypto.randomUUID exists only in secure contexts; pages on plain http get 128 random bits.
  function randomKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The input (or group of checkboxes) for one field of the public definition. Ids carry a
  // per-form prefix, so the same form can be embedded twice on one page.
  function renderField(field, prefix) {
    const id = prefix + field.name;
    const wrap = el("div", { className: `ecrm-field ecrm-${field.type}` });
    const common = { id, name: field.name, required: field.required };
    if (field.type === "multi_choice") {
      const group = el("fieldset", { id, className: "ecrm-group" }, el("legend", { textContent: field.label }));
      field.choices.forEach((choice, i) => {
        const box = el("input", { type: "checkbox", id: `${id}-${i}`, name: field.name, value: choice, "data-ecrm-multi": true });
        group.append(el("div", { className: "ecrm-option" }, box, el("label", { htmlFor: box.id, textContent: choice })));
      });
      wrap.append(group);
    } else if (field.type === "checkbox") {
      wrap.append(el("input", { ...common, type: "checkbox" }), el("label", { htmlFor: id, textContent: field.label }));
    } else {
      let input;
      if (field.type === "choice") {
        input = el("select", common, el("option", { value: "", textContent: "Choose…" }));
        for (const choice of field.choices) input.append(el("option", { value: choice, textContent: choice }));
      } else if (field.type === "textarea") {
        input = el("textarea", { ...common, maxLength: field.max_length, rows: 4 });
      } else {
        const autocomplete = AUTOCOMPLETE[field.name] || { name: "name", phone: "tel" }[field.type] || "on";
        input = el("input", { ...common, type: INPUT_TYPE[field.type] || "text", maxLength: field.max_length, autocomplete });
      }
      wrap.append(el("label", { htmlFor: id, textContent: field.label }), input);
    }
    if (field.required) {
      const star = el("span", { className: "ecrm-required", "aria-hidden": "true", textContent: " *" });
      wrap.querySelector("label, legend").append(star);
    }
    return wrap;
  }

  function render(form, def, prefix) {
    form.setAttribute("aria-label", def.title);
    form.append(...def.fields.map((field) => renderField(field, prefix)));
    if (def.consent) {
      const consent = { name: "consent", type: "checkbox", label: def.consent.text, required: true };
      form.append(renderField(consent, prefix));
    }
    // The honeypot: hidden from people (even without the stylesheet) and from assistive
    // technology, skipped by Tab and by autofill. Bots that fill in every input are caught.
    const trap = el("div", { className: "ecrm-hp", "aria-hidden": "true" },
      el("label", { htmlFor: `${prefix}_hp`, textContent: "Leave this empty" }),
      el("input", { type: "text", id: `${prefix}_hp`, name: "_hp", tabIndex: -1, autocomplete: "off" }));
    Object.assign(trap.style, { position: "absolute", left: "-10000px", width: "1px", height: "1px", overflow: "hidden" });
    form.append(trap, el("button", { type: "submit", className: "ecrm-submit", textContent: def.submit_label }));
  }

  // All controls under one name (a group of checkboxes has several).
  function controls(form, name) {
    const found = form.elements.namedItem(name);
    return !found ? [] : found instanceof RadioNodeList ? Array.from(found) : [found];
  }

  // The body the API expects: a checkbox is a boolean, except in a multi-choice group (several
  // boxes under one name, or marked data-ecrm-multi): that is the array of checked values.
  function collect(form) {
    const body = {};
    for (const input of form.elements) {
      if (!input.name || input.disabled || input.type === "submit" || input.type === "button") continue;
      if (input.type !== "checkbox") body[input.name] = input.value;
      else if (input.hasAttribute("data-ecrm-multi") || controls(form, input.name).length > 1) {
        body[input.name] = (body[input.name] || []).concat(input.checked ? [input.value] : []);
      } else body[input.name] = input.checked;
    }
    // Where the visitor came from: this page's UTM parameters, the page itself, the referrer.
    const params = new URLSearchParams(location.search);
    for (const name of UTM) if (params.get(name)) body[name] = params.get(name);
    body.page = location.origin + location.pathname;
    if (document.referrer) body.referrer = document.referrer;
    return body;
  }

  // Where one field's error goes: a hand-written .ecrm-error[data-field] if the page has one,
  // else a new one at the end of the field's .ecrm-field (or just after the control).
  function errorSlot(form, name) {
    const found = Array.from(form.querySelectorAll(".ecrm-error")).find((n) => n.dataset.field === name);
    const [first] = controls(form, name);
    if (found || !first) return found || null;
    const slot = el("p", { className: "ecrm-error", "data-field": name });
    const box = first.closest(".ecrm-field");
    if (box) box.append(slot);
    else (first.closest("fieldset, label") || first).after(slot);
    return slot;
  }

  // Add or remove one id in aria-describedby, keeping the ids the page put there itself.
  function describedBy(control, id, on) {
    const ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter((x) => x && x !== id);
    if (on) ids.push(id);
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
  }

  function clearErrors(form) {
    for (const slot of form.querySelectorAll(".ecrm-error")) {
      slot.textContent = "";
      slot.hidden = true;
      for (const c of controls(form, slot.dataset.field)) {
        c.removeAttribute("aria-invalid");
        describedBy(c, slot.id, false);
      }
    }
    form.querySelector(".ecrm-alert").textContent = "";
  }

  // Field errors next to their fields, the message (and errors of unknown fields) in the alert.
  function showErrors(form, message, fields = {}) {
    const unplaced = [];
    let firstInvalid = null;
    for (const [name, problem] of Object.entries(fields)) {
      const slot = errorSlot(form, name);
      if (!slot) {
        unplaced.push(`${name}: ${problem}`);
        continue;
      }
      slot.id = slot.id || `${form.dataset.ecrmPrefix}${name}-error`;
      slot.textContent = problem;
      slot.hidden = false;
      for (const c of controls(form, name)) {
        c.setAttribute("aria-invalid", "true");
        describedBy(c, slot.id, true);
        firstInvalid = firstInvalid || c;
      }
    }
    form.querySelector(".ecrm-alert").textContent = [message, ...unplaced].join(" ");
    if (firstInvalid) firstInvalid.focus();
  }

  function succeed(form, receipt) {
    if (receipt.redirect_url) {
      const target = new URL(receipt.redirect_url, location.href);
      if (target.protocol === "https:" || target.protocol === "http:") return location.assign(target.href);
    }
    const thanks = el("div", { className: "ecrm-thanks", role: "status", tabIndex: -1, textContent: receipt.message });
    form.replaceWith(thanks);
    thanks.focus();
  }

  async function submit(form, url, attempt) {
    const button = form.querySelector("[type=submit]");
    clearErrors(form);
    // One key per attempt: resending unchanged values reuses it, so the API stores them once.
    attempt.key = attempt.key || randomKey();
    form.setAttribute("aria-busy", "true");
    if (button) button.disabled = true;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 20000);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": attempt.key },
        body: JSON.stringify(collect(form)),
        credentials: "omit",
        signal: abort.signal,
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) return succeed(form, answer);
      if (response.status === 422) attempt.key = null; // nothing was stored: the next try is new
      if (response.status === 429) {
        const seconds = parseInt(response.headers.get("Retry-After"), 10);
        const when = seconds > 0 ? `in ${seconds} seconds` : "in a little while";
        return showErrors(form, `Too many attempts: please try again ${when}.`);
      }
      const error = answer.error || {};
      showErrors(form, error.message || `Something went wrong (HTTP ${response.status}); please try again.`, error.fields);
    } catch {
      showErrors(form, "We could not reach the server. Check your connection and try again.");
    } finally {
      clearTimeout(timer);
      form.removeAttribute("aria-busy");
      if (button) button.disabled = false;
    }
  }

  async function enhance(form) {
    const id = encodeURIComponent(form.dataset.ecrmForm);
    const api = (form.dataset.ecrmApi || "").replace(/\/+$/, "");
    const prefix = (form.dataset.ecrmPrefix = `ecrm${++formCount}-`);
    form.classList.add("ecrm-form");
    if (!form.querySelector("input, select, textarea")) {
      const loading = el("p", { className: "ecrm-loading", textContent: "Loading the form…" });
      form.append(loading);
      try {
        const response = await fetch(`${api}/forms/${id}`, { headers: { Accept: "application/json" }, credentials: "omit" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const def = await response.json();
        loading.remove();
        render(form, def, prefix);
      } catch {
        loading.textContent = "The form could not be loaded. Please reload the page to try again.";
        loading.setAttribute("role", "alert");
        return;
      }
    }
    form.prepend(el("div", { className: "ecrm-alert", role: "alert" }));
    // When the visitor started: the API drops submissions sent faster than a person types.
    const ts = form.elements.namedItem("_ts") || form.appendChild(el("input", { type: "hidden", name: "_ts" }));
    ts.value = String(Date.now());
    form.noValidate = true; // the API's messages are shown inline instead of browser bubbles
    const attempt = { key: null };
    form.addEventListener("input", () => (attempt.key = null)); // changed values: a new attempt
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.getAttribute("aria-busy") !== "true") submit(form, `${api}/forms/${id}/submissions`, attempt);
    });
  }

  // The marketer console's live preview (web/console/forms.js) renders a definition that is not
  // saved yet with this very code: the same fields, labels and consent, never sent anywhere.
  window.ecrmForm = Object.freeze({
    preview(form, def) {
      form.replaceChildren();
      form.classList.add("ecrm-form");
      render(form, def, (form.dataset.ecrmPrefix = `ecrm-preview${++formCount}-`));
    },
  });

  const start = () => document.querySelectorAll("form[data-ecrm-form]").forEach(enhance);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
