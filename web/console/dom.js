/* Building the page from data: every text goes in with textContent, every attribute with
   setAttribute, so nothing from the API or a token is ever parsed as markup. */

export function h(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  for (const child of children.flat()) if (child) parent.append(child);
}

export function say(text, isError = false) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

/** A refusal shown where it belongs: each of the error body's `fields` next to the control
    named so in `form` (its `aria-describedby` element, `aria-invalid` set), else the message
    in `fallback`. `aliases` maps an API field to a control's name. Focuses the first. */
export function showRefusal(form, error, fallback, aliases = {}) {
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  let first = null;
  for (const [field, message] of Object.entries(error.fields || {})) {
    const control = form.elements.namedItem(aliases[field] || field);
    const help = control && document.getElementById(control.getAttribute("aria-describedby"));
    if (!help) continue;
    help.textContent = message;
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  if (!first && fallback) fallback.textContent = error.message;
  (first || form.querySelector("input, select, textarea"))?.focus();
  return first !== null;
}
