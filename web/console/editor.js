/* A code field for templates: a plain <textarea> (so labels, the keyboard, undo, screen readers
   and form filling all work as they do anywhere) over a highlighted copy of its text, with line
   numbers beside it. The highlighting is highlight.js's (vendored, see vendor/README.md): its
   `django` grammar reads Jinja's {{ }} and {% %} with HTML between them. Loaded with the
   Templates screen only, never on the console's first load. */

import hljs from "./vendor/highlight.js-11.12.0/core.min.js";
import django from "./vendor/highlight.js-11.12.0/languages/django.min.js";
import xml from "./vendor/highlight.js-11.12.0/languages/xml.min.js";
import { h } from "./dom.js";

hljs.registerLanguage("xml", xml);
hljs.registerLanguage("django", django);

const THEME = "vendor/highlight.js-11.12.0/a11y-light.min.css";
const CLASSES = /^(hljs-[a-z_-]+|language-[a-z]+)( (hljs-[a-z_-]+|language-[a-z]+|_+))*$/;

function themed() {
  if (document.querySelector('link[data-theme="hljs"]')) return;
  document.head.append(h("link", { rel: "stylesheet", href: THEME, "data-theme": "hljs" }));
}

/** highlight.js answers markup (its text escaped, tokens in <span class>): rebuild it as nodes
    keeping only spans and their hljs classes, so nothing else can ever come of a template's text. */
function nodesOf(markup) {
  const parsed = new DOMParser().parseFromString("<body>" + markup, "text/html").body;
  const copy = (from, to) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) to.append(node.data);
      else if (node.nodeName === "SPAN") {
        const span = document.createElement("span");
        const classes = node.getAttribute("class") || "";
        if (CLASSES.test(classes)) span.className = classes;
        to.append(span);
        copy(node, span);
      } else to.append(node.textContent);
    }
  };
  const holder = document.createDocumentFragment();
  copy(parsed, holder);
  return holder;
}

/** A code field named `name`: { box, textarea, setValue, markLine(n) }. `labelId` labels it;
    `describedBy` is the id of the element that shows its problem. */
export function codeField({ id, name, value = "", readOnly = false, describedBy, required = false }) {
  themed();
  const code = h("code", { class: "hljs language-django" });
  const shown = h("pre", { class: "code-shown", "aria-hidden": "true" }, code);
  const gutter = h("pre", { class: "code-lines", "aria-hidden": "true" });
  const textarea = h("textarea", {
    id, name, spellcheck: "false", autocapitalize: "off", autocomplete: "off", wrap: "off",
    readonly: readOnly, required, "aria-describedby": describedBy, rows: 12,
  });
  textarea.value = value;
  let bad = 0;
  const draw = () => {
    const text = textarea.value;
    code.replaceChildren(nodesOf(hljs.highlight(text + "\n", { language: "django", ignoreIllegals: true }).value));
    const lines = text.split("\n").length;
    gutter.replaceChildren(...Array.from({ length: lines }, (_, i) =>
      h("span", { class: i + 1 === bad ? "bad" : null }, String(i + 1) + "\n")));
  };
  const follow = () => {
    shown.scrollTop = gutter.scrollTop = textarea.scrollTop;
    shown.scrollLeft = textarea.scrollLeft;
  };
  textarea.addEventListener("input", () => { bad = 0; draw(); follow(); });
  textarea.addEventListener("scroll", follow);
  draw();
  const box = h("div", { class: "code", "data-field": name }, gutter, h("div", { class: "code-box" }, shown, textarea));
  return {
    box,
    textarea,
    setValue(text) { textarea.value = text; bad = 0; draw(); follow(); },
    /** Marks line `n` (a problem there; 0: none), puts the caret at its start and scrolls to
        it, unless `move` is false (while the marketer types: the live preview's problems). */
    markLine(n, move = true) {
      bad = n;
      draw();
      if (!move || !n) return follow();
      const lines = textarea.value.split("\n");
      const at = lines.slice(0, Math.max(0, n - 1)).reduce((sum, line) => sum + line.length + 1, 0);
      textarea.setSelectionRange(at, at);
      const height = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
      textarea.scrollTop = Math.max(0, (n - 3) * height);
      follow();
    },
  };
}
