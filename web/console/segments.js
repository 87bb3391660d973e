/* Segments: the list a page at a time (GET /admin/segments), one segment's builder (a topic and
   conditions of every kind the API has, conditions.js), saved with the version it was read at
   (POST, PUT; 409 if someone saved since), deleted (refused while a campaign uses it). The
   audience is counted as the conditions change, once typing pauses, by the API
   (POST /admin/segment-preview: a marketer's draft, unsaved; a viewer sees the saved
   segment's count, GET …/count): how many a campaign would mail now, a few of them, and what
   the count read (index queries and items; never a Scan). */

import { api } from "./api.js";
import { catalogue, deleteOnSecondPress } from "./catalogue.js";
import { blank, conditionRow, describe, KINDS, readCondition } from "./conditions.js";
import { h, replace, say, showRefusal } from "./dom.js";

const SAMPLE = 10;
const number = new Intl.NumberFormat("en-GB");

function field(label, control, id) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control, h("p", { id: id + "-error", class: "error" }));
}

function input(id, name, value, readOnly) {
  const node = h("input", { id, name, autocomplete: "off", readonly: readOnly, "aria-describedby": id + "-error" });
  node.value = value || "";
  return node;
}

/** What a count says: the audience, what it read, a few members. */
function audienceView(counted) {
  const reads = number.format(counted.queries) + " index queries and " + number.format(counted.items_read) +
    " items read (about " + number.format(Math.ceil((counted.queries + counted.items_read) / 2)) + " read units; never a Scan)";
  return [
    h("p", { id: "audience-count", class: "big" }, number.format(counted.members) + (counted.complete ? "" : "+"),
      h("span", {}, counted.members === 1 ? " contact" : " contacts")),
    h("p", { class: "note", id: "audience-cost" },
      "A campaign would mail them now (subscribed to the topic, not suppressed). Of " + number.format(counted.candidates) +
      " topic members read. This count cost " + reads + "." + (counted.complete ? "" : " It stopped at 20,000 members: at least this many.")),
    counted.sample.length ? h("div", {}, h("h3", {}, "Some of them"),
      h("ul", { id: "audience-sample", class: "sample" }, counted.sample.map((m) => h("li", {}, m.email)))) : null,
  ];
}

function builder(area, segment, canChange, done) {
  const isNew = !segment;
  const s = segment || { id: "", name: "", topic: "", conditions: [] };
  const readOnly = !canChange;
  let conditions = s.conditions.map((c) => ({ ...c }));
  const rows = h("div", { id: "conditions" });
  const problem = h("p", { id: "seg-problem", class: "error", role: "alert" });
  const audience = h("div", { id: "audience", "aria-live": "polite", "aria-busy": "false" });
  const newKind = h("select", { id: "cond-new-kind" },
    Object.entries(KINDS).map(([kind, spec]) => h("option", { value: kind }, spec.name)));
  const add = h("button", { type: "button", id: "cond-add" }, "Add the condition");
  const form = h("form", { id: "segment", novalidate: true },
    isNew ? field("Id (lower case, digits, -)", input("seg-id", "id", "", false), "seg-id") : null,
    field("Name", input("seg-name", "name", s.name, readOnly), "seg-name"),
    field("Topic (its members are the candidates)", input("seg-topic", "topic", s.topic, readOnly), "seg-topic"),
    h("h3", {}, "Conditions (all must hold)"),
    rows,
    canChange ? h("div", { class: "controls" }, h("div", {}, h("label", { for: "cond-new-kind" }, "New condition of kind"), newKind), add) : null,
    problem,
    canChange ? h("div", { class: "actions" },
      h("button", { type: "submit" }, isNew ? "Create" : "Save"),
      isNew ? null : h("button", { type: "button", class: "danger", id: "seg-delete" }, "Delete"),
      h("button", { type: "button", class: "secondary", id: "seg-close" }, "Close")) : null);

  const read = () => [...rows.querySelectorAll("fieldset.condition")].map(readCondition);
  const draw = (focusIndex) => {
    replace(rows, conditions.length ? conditions.map((c, i) => conditionRow(c, i, {
      readOnly,
      onKind: (kind) => { conditions = read(); conditions[i] = blank(kind); draw(i); changed(); },
      onRemove: () => { conditions = read(); conditions.splice(i, 1); draw(null); add.focus(); changed(); },
    })) : h("p", { class: "note" }, "None: every member of the topic who may be mailed."));
    if (focusIndex !== null && focusIndex !== undefined) rows.querySelector(`#cond-${focusIndex}-kind`)?.focus();
  };
  const body = () => ({ name: form.elements.namedItem("name").value.trim(), topic: form.elements.namedItem("topic").value.trim(), conditions: read() });

  let asked = 0;
  async function count() {
    const ticket = ++asked;
    const draft = body();
    for (const help of rows.querySelectorAll("[data-condition-error]")) help.textContent = "";
    if (!draft.topic) return replace(audience, h("p", { class: "note" }, "Type a topic to count its audience."));
    audience.setAttribute("aria-busy", "true");
    try {
      const counted = canChange
        ? await api("/admin/segment-preview", { method: "POST", body: { topic: draft.topic, conditions: draft.conditions, sample: SAMPLE } })
        : await api("/admin/segments/" + encodeURIComponent(s.id) + "/count?sample=" + SAMPLE);
      if (ticket === asked) replace(audience, audienceView(counted));
    } catch (error) {
      if (ticket !== asked) return;
      replace(audience, h("p", { class: "error", id: "audience-problem" }, "Not counted: " + error.message));
      showConditionProblems(error);
    } finally {
      if (ticket === asked) audience.setAttribute("aria-busy", "false");
    }
  }
  function showConditionProblems(error) {
    for (const [name, message] of Object.entries(error.fields || {})) {
      const found = /^conditions\.(\d+)/.exec(name);
      const help = found && rows.querySelector(`[data-condition-error="${found[1]}"]`);
      if (help) help.textContent = message;
    }
  }
  let typing = null;
  function changed() {
    clearTimeout(typing);
    typing = setTimeout(count, 600);  // once typing pauses: a count reads the topic's members
  }

  replace(area,
    h("h2", { id: "editing", tabindex: "-1" }, isNew ? "New segment" : "Segment " + s.id + " · version " + s.version),
    form,
    h("h2", {}, "Audience"),
    audience);
  draw(null);
  if (!isNew) count();
  else replace(audience, h("p", { class: "note" }, "Type a topic to count its audience."));
  if (!canChange) return;
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  add.addEventListener("click", () => {
    conditions = read();
    conditions.push(blank(newKind.value));
    draw(conditions.length - 1);
    changed();
  });
  let version = s.version;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    for (const help of form.querySelectorAll(".error")) help.textContent = "";
    const fields = body();
    say("Saving…");
    try {
      let saved;
      if (isNew) saved = await api("/admin/segments", { method: "POST", body: { id: form.elements.namedItem("id").value.trim(), ...fields } });
      else saved = await api("/admin/segments/" + encodeURIComponent(s.id), { method: "PUT", body: { ...fields, version } });
      say("Saved: version " + saved.version + ".");
      if (isNew) return done(saved.id);
      version = saved.version;
      area.querySelector("#editing").textContent = "Segment " + saved.id + " · version " + saved.version;
    } catch (error) {
      say("");
      showConditionProblems(error);
      if (!showRefusal(form, error, problem)) problem.textContent = error.message;
    }
  });
  form.querySelector("#seg-close").addEventListener("click", () => done(null));
  deleteOnSecondPress(form.querySelector("#seg-delete"), {
    id: s.id, path: "/admin/segments", problem, done,
    warning: "Press again to delete it; a segment a draft or scheduled campaign uses is kept.",
  });
}

export function segments(main, options) {
  return catalogue(main, options, {
    kind: "segment", path: "/admin/segments", title: "Segments", firstStep: "build",
    intro: "Who among a topic's members a campaign goes to. A count reads the topic's members (its index, then their contacts), never the whole table: its cost grows with the topic, and is shown with each count.",
    columns: ["Id", "Name", "Topic", "Conditions", "Version"],
    cells: (row) => [row.id, row.name, row.topic,
      row.conditions.length ? row.conditions.map(describe).join("; ") : "none", String(row.version)],
    editor: builder,
  });
}
