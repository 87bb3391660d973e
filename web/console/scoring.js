/* Scoring: the ruleset (GET /admin/scoring) with its saved versions, edited as fieldsets
   (scoring_rules.js) and checked by the API as typing pauses (POST /admin/scoring/validate,
   nothing stored; a problem shown at the rule it names), saved as the next version with the
   version it was based on (PUT; 409 if someone saved since); the re-score job that applies it
   to every contact, its progress polled (GET …/rescore/{id}); the contacts per score
   (GET /admin/reports/scores, a bar chart) with the stage thresholds. */

import { api } from "./api.js";
import { barChart } from "./charts.js";
import { h, replace, say } from "./dom.js";
import { engagementRow, fitRow, readRuleset, rulesetProblems, stageRow } from "./scoring_rules.js";

const JOB = "ecrm-console-rescore"; // the job this tab started, to follow it on coming back
const POLL_MS = 1000;
const number = new Intl.NumberFormat("en-GB");
const BLANK = {
  fit: { kind: "equals", id: "", field: "", value: "", points: 5 },
  engagement: { id: "", on: "email_clicked", points: 5 },
  stages: { name: "", at_least: null },
};

function savedLine(ruleset) {
  return ruleset.version ? "Saved " + (ruleset.updated_at || "").slice(0, 16).replace("T", " ") + " UTC by " + (ruleset.updated_by || "?") + "."
    : "The default ruleset: no version saved yet.";
}

function stageAt(stages, score) {
  return stages.filter((s, i) => i === 0 || s.at_least <= score).pop().name;
}

/** Contacts per score bucket, each bucket named with the stage it starts in (and any
    threshold inside it); the stages and their thresholds beside. */
function distribution(scores, stages) {
  const rows = scores.buckets.map((b, i) => {
    const next = scores.buckets[i + 1];
    const inside = stages.filter((s) => s.at_least !== undefined && s.at_least !== null && s.at_least > b.from && (!next || s.at_least < next.from));
    const label = b.label + " · " + stageAt(stages, b.from) + inside.map((s) => ", " + s.name + " from " + s.at_least).join("");
    return { key: String(b.from), label, value: b.contacts };
  });
  return [
    barChart("score-chart", "Contacts per score (" + number.format(scores.total) + " scored, as last computed)", rows),
    h("div", { class: "table" }, h("table", { id: "stage-thresholds" },
      h("caption", {}, "Stages: a contact is in the highest whose threshold its score reaches"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Stage"), h("th", { scope: "col" }, "From score"))),
      h("tbody", {}, stages.map((s, i) => h("tr", { "data-stage": s.name }, h("th", { scope: "row" }, s.name),
        h("td", {}, i === 0 ? "where everyone starts" : number.format(s.at_least))))))),
  ];
}

function jobLine(job) {
  const read = number.format(job.contacts_read) + " contacts read, " + number.format(job.contacts_rescored) + " re-scored";
  if (job.state === "running") return "Re-scoring with version " + job.ruleset_version + ": " + job.partitions_done + " of " + job.partitions + " parts of the stage index read; " + read + ".";
  if (job.state === "done") return "Done: version " + job.ruleset_version + " applied; " + read + ".";
  return "Stopped (" + job.state + ": a newer ruleset was saved); " + read + ".";
}

export async function scoring(main, { canChange }) {
  const remembered = sessionStorage.getItem(JOB);
  const [current, versions, scores, lastJob] = await Promise.all([
    api("/admin/scoring"), api("/admin/scoring/versions"), api("/admin/reports/scores"),
    remembered ? api("/admin/scoring/rescore/" + encodeURIComponent(remembered)).catch(() => null) : null,
  ]);
  let latest = current.version; // what a save is based on (409 if someone saved since)
  let shownStages = current.stages;
  const heading = h("h2", { id: "ruleset-heading", tabindex: "-1" });
  const saved = h("p", { class: "note", id: "ruleset-saved" });
  const choice = h("select", { id: "version-choice" });
  const load = h("button", { type: "button", id: "version-load", class: "secondary" }, "Load this version");
  const form = h("form", { id: "ruleset", novalidate: true });
  const general = h("p", { id: "ruleset-problem", class: "error", role: "alert", tabindex: "-1" });
  const checked = h("p", { id: "ruleset-check", class: "note", "aria-live": "polite" });
  const chart = h("div", { id: "distribution" });
  const progress = h("progress", { id: "rescore-progress", max: 1, value: 0, "aria-label": "Re-score progress", hidden: true });
  const jobState = h("p", { id: "rescore-state", "aria-live": "polite" });
  const start = canChange ? h("button", { type: "button", id: "rescore-start" }, "Re-score every contact") : null;

  function versionsList(found) {
    replace(choice, [...found.map((v) => h("option", { value: v.version }, "Version " + v.version + " · " + (v.updated_at || "").slice(0, 10))),
      h("option", { value: 0 }, "Version 0 · the default")]);
  }
  function draw(ruleset, title) {
    heading.textContent = title;
    saved.textContent = savedLine(ruleset);
    const how = { readOnly: !canChange };
    const section = (part, rows, add, legend, note) => h("fieldset", { id: part + "-rules" }, h("legend", {}, legend),
      note ? h("p", { class: "note" }, note) : null, rows,
      part === "stages" ? h("p", { class: "error", "data-error": "stages", id: "stages-error" }) : null,
      canChange ? h("button", { type: "button", class: "small", id: part + "-add" }, add) : null);
    const remove = (part, i) => () => { const r = readRuleset(form); r[part].splice(i, 1); draw(r, heading.textContent); changed(); form.querySelector(`#${part}-add`).focus(); };
    const half = h("input", { id: "decay-half_life_days", name: "decay.half_life_days", type: "number", step: "any", readonly: !canChange, "aria-describedby": "decay-error" });
    half.value = ruleset.decay?.half_life_days ?? "";
    replace(form,
      section("fit", ruleset.fit.map((r, i) => fitRow(r, i, { ...how, onRemove: remove("fit", i) })), "Add a fit rule", "Fit: points for who a contact is"),
      section("engagement", ruleset.engagement.map((r, i) => engagementRow(r, i, { ...how, onRemove: remove("engagement", i) })), "Add an engagement rule", "Engagement: points for what a contact does"),
      h("div", { class: "field" }, h("label", { for: "decay-half_life_days" }, "Engagement points halve every (days; empty: never)"), half,
        h("p", { id: "decay-error", class: "error", "data-error": "decay" })),
      section("stages", ruleset.stages.map((s, i) => stageRow(s, i, { ...how, onRemove: remove("stages", i) })), "Add a stage", "Stages", "Thresholds increase from one stage to the next (an MQL, say, from 50)."),
      h("div", { class: "field check" }, h("input", { type: "checkbox", id: "demote", name: "demote", checked: !!ruleset.demote, disabled: !canChange }),
        h("label", { for: "demote" }, "A contact moves down a stage when its score falls (else a stage is a milestone)")),
      general, checked,
      canChange ? h("div", { class: "actions" }, h("button", { type: "submit" }, "Save as a new version"), h("button", { type: "button", class: "secondary", id: "ruleset-validate" }, "Check")) : null);
    if (!canChange) return;
    for (const part of ["fit", "engagement", "stages"]) {
      form.querySelector(`#${part}-add`).addEventListener("click", () => {
        const r = readRuleset(form);
        r[part].push({ ...BLANK[part] });
        draw(r, heading.textContent);
        form.querySelector(`fieldset[data-rule="${part}.${r[part].length - 1}"] input`).focus();
        changed();
      });
    }
    form.querySelector("#ruleset-validate").addEventListener("click", () => check(true));
  }

  let asked = 0;
  async function check(focus = false) {
    const ticket = ++asked;
    try {
      const valid = await api("/admin/scoring/validate", { method: "POST", body: readRuleset(form) });
      if (ticket !== asked) return;
      rulesetProblems(form, {}, general);
      checked.textContent = "Valid: saving makes it version " + (latest + 1) + ".";
      shownStages = valid.stages;
    } catch (error) {
      if (ticket !== asked) return;
      checked.textContent = "";
      const first = rulesetProblems(form, error, general);
      if (focus) (first?.focus ? first : general).focus?.();
    }
  }
  let typing = null;
  function changed() {
    checked.textContent = "";
    clearTimeout(typing);
    typing = setTimeout(check, 600);
  }

  let polling = null;
  async function follow(job, refresh = true) {
    clearTimeout(polling);
    progress.hidden = false;
    progress.max = job.partitions || 1;
    progress.value = job.partitions_done || 0;
    jobState.textContent = jobLine(job);
    if (job.state === "running") {
      polling = setTimeout(async () => {
        if (!main.contains(jobState)) return; // the screen was left
        try {
          await follow(await api("/admin/scoring/rescore/" + encodeURIComponent(job.job_id)));
        } catch (error) {
          jobState.textContent = "Progress not read: " + error.message;
        }
      }, POLL_MS);
      return;
    }
    if (refresh) replace(chart, distribution(await api("/admin/reports/scores"), shownStages));
  }

  replace(main, h("h1", { tabindex: "-1" }, "Scoring"),
    h("p", { class: "note" }, "How contacts are scored: fit rules on who they are, engagement rules on what they do (decaying with time), and the stages their score puts them in. A saved version applies to new events at once; re-score to apply it to every contact."),
    heading, saved,
    h("div", { class: "field" }, h("label", { for: "version-choice" }, "Saved versions"), choice), load,
    form,
    h("h2", {}, "Re-score"),
    h("p", { class: "note" }, "Applies the current version to every scored contact, a page of the stage index at a time (never a Scan); a contact whose stage changes gets its stage event."),
    start, progress, jobState,
    h("h2", {}, "Score distribution"), chart);
  versionsList(versions.versions);
  draw(current, "Ruleset version " + current.version);
  replace(chart, distribution(scores, current.stages));
  if (lastJob) follow(lastJob, false);

  load.addEventListener("click", async () => {
    try {
      const chosen = await api("/admin/scoring/versions/" + encodeURIComponent(choice.value));
      draw(chosen, Number(choice.value) === latest ? "Ruleset version " + latest
        : "Version " + choice.value + " loaded" + (canChange ? ": saving makes it version " + (latest + 1) : ""));
      rulesetProblems(form, {}, general);
      heading.focus();
    } catch (error) {
      say(error.message, true);
    }
  });
  if (canChange) {
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearTimeout(typing);
      asked += 1; // a check still under way says nothing after this
      say("Saving…");
      try {
        const stored = await api("/admin/scoring", { method: "PUT", body: { ...readRuleset(form), version: latest } });
        latest = stored.version;
        shownStages = stored.stages;
        say("Saved: version " + stored.version + ". Re-score to apply it to existing contacts.");
        rulesetProblems(form, {}, general);
        checked.textContent = "";
        heading.textContent = "Ruleset version " + stored.version;
        saved.textContent = savedLine(stored);
        versionsList((await api("/admin/scoring/versions")).versions);
      } catch (error) {
        say("");
        const first = rulesetProblems(form, error, general);
        (first?.focus ? first : general).focus?.();
      }
    });
    start.addEventListener("click", async () => {
      try {
        const job = await api("/admin/scoring/rescore", { method: "POST" });
        sessionStorage.setItem(JOB, job.job_id);
        await follow(job);
      } catch (error) {
        jobState.textContent = "Not started: " + error.message;
      }
    });
  }
  main.dataset.loaded = "true";
}
