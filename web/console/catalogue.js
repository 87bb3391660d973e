/* A screen of stored definitions (forms, templates, segments): a page of them at a time, each
   opening in its editor below the list, a new one from an empty editor. The screens differ in
   their columns and their editor only; the list, its paging, its empty state and the way back
   from the editor are here, with the ids the screens' tests find (`<kind>-list`,
   `<kind>s-more`, `<kind>s-empty`, `<kind>-area`, `<kind>s-new`, `data-<kind>`). */

import { api } from "./api.js";
import { h, replace, say } from "./dom.js";

const PAGE = 25;

function shown(error) {
  say(error.message, true);
}

/* `spec`: { kind, path, title, intro, columns: [names], cells(row) -> [td contents],
   editor(area, found, canChange, done), noun }. The editor calls `done(savedId)` after a save
   (the list reloads and the saved one opens again) or `done(null)` to close. */
export async function catalogue(main, { canChange }, spec) {
  const { kind } = spec;
  const body = h("tbody");
  const table = h("div", { class: "table" }, h("table", { id: kind + "-list" },
    h("caption", {}, spec.title),
    h("thead", {}, h("tr", {}, spec.columns.map((c) => h("th", { scope: "col" }, c)))),
    body));
  const more = h("button", { type: "button", id: kind + "s-more", hidden: true }, "Next page");
  const empty = h("p", { class: "note", id: kind + "s-empty", hidden: true }, canChange
    ? `No ${kind} yet: ${spec.firstStep} the first with New ${kind}.`
    : `No ${kind} yet: a marketer ${spec.firstStep}s them.`);
  const area = h("section", { id: kind + "-area", "aria-label": kind[0].toUpperCase() + kind.slice(1) });
  let cursor = null;

  async function load(first) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (!first && cursor) query.set("cursor", cursor);
    const page = await api(spec.path + "?" + query.toString());
    if (first) body.replaceChildren();
    for (const row of page.items) {
      const [label, ...rest] = spec.cells(row);
      body.append(h("tr", {},
        h("td", {}, h("button", { type: "button", class: "link", ["data-" + kind]: row.id }, label)),
        rest.map((cell) => h("td", {}, cell))));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = body.childElementCount > 0;
    table.hidden = !empty.hidden;
  }
  async function open(id) {
    if (id === null) {
      replace(area);
      await load(true);
      return main.querySelector("h1").focus();
    }
    const found = id === "" ? null : await api(spec.path + "/" + encodeURIComponent(id));
    const done = async (saved) => {
      if (saved) await load(true);  // a new one joins the list
      await open(saved || null);
    };
    spec.editor(area, found, canChange, (saved) => done(saved).catch(shown));
    area.querySelector("#editing").focus();
  }
  body.addEventListener("click", (event) => {
    const button = event.target.closest(`button[data-${kind}]`);
    if (button) open(button.getAttribute("data-" + kind)).catch(shown);
  });
  more.addEventListener("click", () => load(false).catch(shown));
  const create = canChange ? h("button", { type: "button", id: kind + "s-new" }, "New " + kind) : null;
  create?.addEventListener("click", () => open("").catch(shown));
  replace(main, h("h1", { tabindex: "-1" }, spec.title), h("p", { class: "note" }, spec.intro),
    create, empty, table, more, area);
  await load(true);
  main.dataset.loaded = "true";
}

/* A delete button that asks once: the first press arms it and says what will happen, the
   second deletes `path` and closes the editor (`done(null)`); a refusal shows in `problem`. */
export function deleteOnSecondPress(button, { id, path, warning, problem, done }) {
  button?.addEventListener("click", async () => {
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = "Delete " + id + " for good";
      problem.textContent = warning;
      return;
    }
    try {
      await api(path + "/" + encodeURIComponent(id), { method: "DELETE" });
      say("Deleted " + id + ".");
      done(null);
    } catch (error) {
      problem.textContent = error.message;
    }
  });
}
