/* Imports: a CSV file's columns mapped to the profile's fields (GET /admin/profile-schema) with
   its first rows shown (read here, in the browser), then imported as `ecrm contacts import`
   does: announced by its SHA-256 and size (POST /admin/imports; the same file again is the same
   import), PUT to the presigned upload URL straight from the browser (S3; moto locally, both
   allowing it by CORS), started (POST …/start) and followed (GET …/{id}) with a progress bar;
   then the bad rows by line (GET …/errors, every page) and a CSV of them, as the file has them,
   to download. Imports are writes: a viewer is told so and offered nothing. */

import { api } from "./api.js";
import { records, write } from "./csv.js";
import { h, replace, say, showRefusal } from "./dom.js";

const PREVIEW_ROWS = 5;
const HEAD_BYTES = 64 * 1024;
const FINISHED = new Set(["done", "failed"]);
const fieldName = (column) => column.trim().toLowerCase().replace(/-/g, " ").split(/\s+/).join("_");
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function sha256(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function labelled(label, node) {
  return h("div", { class: "field" }, h("label", { for: node.id }, label), node, h("p", { id: node.id + "-error", class: "error" }));
}

function mappingSection(columns, rows, fields) {
  const choices = [["", "(ignore)"], ["email", "email (the address)"], ...fields.map((f) => [f.name, f.name + " (" + f.label + ")"])];
  // A column named like a field fills it, as the API reads it (`First name`: first_name), or
  // the same letters without separators (`E-mail`: email, `FirstName`: first_name).
  const bare = (text) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
  const known = new Map(choices.filter(([name]) => name).flatMap(([name]) => [[name, name], [bare(name), name]]));
  const selects = columns.map((column, i) => {
    const guess = known.get(fieldName(column)) || known.get(bare(column)) || "";
    const select = h("select", { id: "map-" + i, name: "mapping." + column.slice(0, 64), "data-column": column, "aria-describedby": "map-" + i + "-error" },
      choices.map(([name, text]) => h("option", { value: name, selected: name === guess }, text)));
    return labelled("Column “" + column + "” fills", select);
  });
  // Scrolls sideways on a phone: focusable, so the keyboard scrolls it too.
  const table = h("div", { class: "table", tabindex: 0, role: "region", "aria-label": "The first rows of the file" }, h("table", { id: "import-rows" },
    h("caption", {}, "The first rows of the file"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Line"), columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, h("td", {}, String(row.line)), columns.map((_, i) => h("td", {}, row.values[i] ?? "")))))));
  return [h("h2", {}, "Columns"), h("p", { class: "note" }, "Each column fills the field you choose; one must hold the email address."),
    h("div", { class: "mapping" }, selects), table];
}

function topicsSection(topics) {
  if (!topics.length) return h("p", { class: "note" }, "The profile offers no topic: the contacts join none.");
  return h("fieldset", { id: "import-topics", name: "topics", "aria-describedby": "import-topics-error" },
    h("legend", {}, "Topics the contacts join"),
    topics.map((t) => h("div", { class: "field check" },
      h("input", { type: "checkbox", id: "topic-" + t.id, value: t.id, "data-topic": "" }),
      h("label", { for: "topic-" + t.id }, t.label + " (" + t.id + ")"))),
    h("p", { id: "import-topics-error", class: "error" }));
}

/** Every bad row of the import, by line ({line, errors}), all pages. */
async function badRows(id) {
  const found = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "500" });
    if (cursor) query.set("cursor", cursor);
    const page = await api("/admin/imports/" + id + "/errors?" + query.toString());
    found.push(...page.rows);
    cursor = page.next_cursor;
  } while (cursor);
  return found.sort((a, b) => a.line - b.line);
}

function results(job, bad, file, text) {
  const reasons = (row) => Object.entries(row.errors).map(([name, why]) => name + ": " + why).join("; ");
  const figures = [["Rows", job.rows], ["Imported", job.imported], ["Already contacts", job.duplicates], ["Suppressed", job.suppressed || 0], ["Bad rows", job.bad_rows]];
  const out = [h("h2", { id: "import-done", tabindex: "-1" }, job.state === "failed" ? "The import failed" : "Imported"),
    job.failure ? h("p", { class: "error" }, job.failure) : null,
    h("dl", { class: "figures", id: "import-figures" }, figures.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, Number(value || 0).toLocaleString("en")))))];
  if (!bad.length) return out;
  const wanted = new Set(bad.map((r) => r.line));
  const all = records(text);
  const byLine = new Map(all.filter((r) => wanted.has(r.line)).map((r) => [r.line, r.values]));
  const csv = write([["line", "errors", ...(all[0]?.values || [])], ...bad.map((r) => [r.line, reasons(r), ...(byLine.get(r.line) || [])])]);
  const link = h("a", { class: "button", id: "bad-rows-download", download: file.name.replace(/\.csv$/i, "") + ".bad-rows.csv",
    href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })) }, "Download the bad rows (CSV)");
  return [...out,
    h("div", { class: "table", tabindex: 0, role: "region", "aria-label": "Bad rows" }, h("table", { id: "bad-rows" }, h("caption", {}, "Bad rows, by line: fix them in the file and import it again"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Line"), h("th", { scope: "col" }, "Why"))),
      h("tbody", {}, bad.map((r) => h("tr", { "data-line": r.line }, h("td", {}, String(r.line)), h("td", {}, reasons(r))))))),
    h("p", {}, link)];
}

export async function imports(main, { canChange }) {
  replace(main, h("h1", { tabindex: "-1" }, "Imports"),
    h("p", { class: "note" }, "Add contacts in bulk from a CSV file (UTF-8, a header line first), as a single opt-in form would: each row checked, existing contacts left alone, consent recorded with its source."));
  if (!canChange) {
    main.append(h("p", { class: "note", id: "import-read-only" }, "Read only: imports are for marketers."));
    main.dataset.loaded = "true";
    return;
  }
  const schema = await api("/admin/profile-schema");
  const file = h("input", { type: "file", id: "import-file", name: "file", accept: ".csv,text/csv", "aria-describedby": "import-file-error" });
  const source = h("input", { id: "import-source", name: "consent_source", autocomplete: "off", "aria-describedby": "import-source-error" });
  const columns = h("div", { id: "import-columns" });
  const problem = h("p", { id: "import-problem", class: "error", role: "alert" });
  const go = h("button", { type: "submit", id: "import-go", disabled: true }, "Import");
  const form = h("form", { id: "import-form", novalidate: true },
    labelled("CSV file", file), columns,
    topicsSection(schema.topics),
    labelled("Where these people consented (kept on each consent record)", source),
    problem, go);
  const progress = h("progress", { id: "import-progress", max: 1, value: 0 });
  const progressText = h("p", { id: "import-progress-text", "aria-live": "polite" });
  const track = h("section", { id: "import-track", "aria-label": "Progress", hidden: true },
    h("h2", {}, "Progress"), h("label", { for: "import-progress" }, "Rows read"), progress, progressText);
  const outcome = h("section", { id: "import-outcome", "aria-label": "Outcome" });
  main.append(h("div", { id: "import-area" }, form, track, outcome));
  let chosen = null;

  file.addEventListener("change", async () => {
    replace(columns);
    replace(outcome);
    problem.textContent = "";
    go.disabled = true;
    chosen = null;
    const picked = file.files[0];
    if (!picked) return;
    const head = await picked.slice(0, HEAD_BYTES).text();
    const found = records(head, { limit: PREVIEW_ROWS + 1, complete: picked.size <= HEAD_BYTES });
    if (!found.length) {
      document.getElementById("import-file-error").textContent = "The file has no header line.";
      return;
    }
    const names = found[0].values.map((n) => n.trim());
    replace(columns, mappingSection(names, found.slice(1), [...schema.profile, ...schema.interests]));
    chosen = { file: picked, names };
    go.disabled = false;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) return;
    problem.textContent = "";
    for (const help of form.querySelectorAll("p.error")) help.textContent = "";
    const { file: picked, names } = chosen;
    go.disabled = true;
    try {
      say("Reading the file…");
      const buffer = await picked.arrayBuffer();
      const text = new TextDecoder().decode(buffer);
      const mapping = Object.fromEntries([...columns.querySelectorAll("select[data-column]")].map((s) => [s.dataset.column, s.value]));
      const topics = [...form.querySelectorAll("input[data-topic]:checked")].map((box) => box.value);
      const body = { sha256: await sha256(buffer), size: picked.size, filename: picked.name.slice(0, 255) || "contacts.csv",
        topics, consent_source: source.value.trim(), mapping };
      let job = await api("/admin/imports", { method: "POST", body });
      if (job.upload) {
        say("Uploading " + picked.name + "…");
        const sent = await fetch(job.upload.url, { method: "PUT", headers: job.upload.headers, body: picked, credentials: "omit" })
          .catch(() => ({ ok: false, status: 0 }));
        if (!sent.ok) throw Object.assign(new Error("The upload was refused (" + sent.status + "): try again."), { fields: {} });
      }
      job = await api("/admin/imports/" + job.import_id + "/start", { method: "POST" });
      const total = Math.max(1, records(text).length - 1);
      track.hidden = false;
      progress.max = total;
      say("Importing…");
      while (!FINISHED.has(job.state)) {
        progress.value = Math.min(job.rows || 0, total);
        progressText.textContent = (job.rows || 0).toLocaleString("en") + " of " + total.toLocaleString("en") + " rows";
        await sleep(1000);
        job = await api("/admin/imports/" + job.import_id);
      }
      progress.value = total;
      progressText.textContent = (job.rows || 0).toLocaleString("en") + " of " + total.toLocaleString("en") + " rows: " + job.state;
      const bad = job.bad_rows ? await badRows(job.import_id) : [];
      replace(outcome, results(job, bad, picked, text));
      say("");
      outcome.querySelector("#import-done").focus();
    } catch (error) {
      say("");
      const placed = showRefusal(form, error, problem);
      // What the API says about the columns as a whole (no address column, two for one field).
      const rest = Object.entries(error.fields || {}).filter(([name]) => !form.elements.namedItem(name)).map(([, why]) => why);
      if (!placed || rest.length) problem.textContent = [error.message, ...rest].join(" ");
    } finally {
      go.disabled = false;
    }
  });
  main.dataset.loaded = "true";
  file.focus();
}
