/* Contacts: find one by its exact address (GET /admin/contacts?email=), then its page: profile,
   topics, consent records, score with its explanation (GET /admin/contacts/{id}/score) and the
   newest interactions; download what is shown as JSON. Or list a topic's members or a
   segment's audience a page at a time (GET /admin/contacts?topic=|segment=&cursor=). Addresses
   never go in the page's own URL (history, screenshots of the address bar). */

import { api, ApiError } from "./api.js";
import { h, replace, say, showRefusal } from "./dom.js";
import { eraseSection } from "./erase.js";

const WHEN = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

function when(text) {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? String(text || "") : WHEN.format(date) + " UTC";
}

function pairs(rows) {
  return h("dl", { class: "pairs" }, rows.filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))));
}

function list(values) {
  return values && values.length ? values.join(", ") : "none";
}

function consentRow(consent) {
  const waiting = consent.awaiting_confirmation || [];
  const confirmed = consent.confirmed_at
    ? "confirmed " + when(consent.confirmed_at) + (consent.confirmed_by ? " (" + consent.confirmed_by + ")" : "")
    : waiting.length ? "awaiting the owner's click for " + list(waiting) : "took effect at once";
  return h("li", {},
    h("p", { class: "quote" }, consent.text || "(no text recorded)"),
    pairs([
      ["Given", when(consent.given_at)],
      ["Form", consent.form_id + (consent.form_version ? " v" + consent.form_version : "")],
      ["Consent version", consent.consent_version],
      ["Topics", list(consent.topics)],
      ["How confirmed", confirmed],
    ]));
}

function interactionRow(item) {
  const detail = [];
  if (item.type === "custom_event") detail.push(item.name + (item.source_name ? " from " + item.source_name : ""));
  if (item.form_title) detail.push(item.form_title);
  if (item.topics) detail.push("topics: " + list(item.topics));
  if (item.from_stage || item.to_stage) detail.push(item.from_stage + " → " + item.to_stage);
  if (item.campaign_id) detail.push("campaign " + item.campaign_id);
  return h("li", {}, h("time", { datetime: item.at }, when(item.at)), " ", h("strong", {}, String(item.type).replace(/_/g, " ")),
    detail.length ? " · " + detail.join(" · ") : "");
}

function scoreSection(score) {
  if (!score) return [h("h2", {}, "Score"), h("p", { class: "note" }, "Not scored yet: a score appears once the contact acts (a form, a confirmation, an open).")];
  const lines = score.explanation.lines;
  return [
    h("h2", {}, "Score"),
    pairs([
      ["Score", String(Math.round(score.score * 100) / 100)],
      ["Stage", score.stage + " since " + when(score.stage_since)],
      ["Ruleset", "version " + score.ruleset_version],
    ]),
    h("div", { class: "table" }, h("table", {},
      h("caption", {}, "Why: every rule that gave points"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Rule"), h("th", { scope: "col" }, "Kind"), h("th", { scope: "col" }, "Points"))),
      h("tbody", {}, lines.map((line) => h("tr", { "data-rule": line.rule },
        h("td", {}, line.rule), h("td", {}, line.kind), h("td", {}, String(Math.round(line.points * 100) / 100))))))),
    score.explanation.decay && score.explanation.decay.half_life_days
      ? h("p", { class: "note" }, "Engagement points halve every " + score.explanation.decay.half_life_days + " days without activity.")
      : null,
  ];
}

function download(found, score) {
  const blob = new Blob([JSON.stringify({ contact: found, score }, null, 1)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: "contact-" + found.contact_id + ".json", class: "button" }, "Download as JSON");
  return link;
}

function contactPage(found, score, canChange, onErased) {
  const profile = Object.entries(found.profile || {}).map(([name, value]) => [name.replace(/_/g, " "), Array.isArray(value) ? list(value) : String(value)]);
  return h("article", { id: "contact", "aria-labelledby": "contact-email" },
    h("h2", { id: "contact-email", tabindex: "-1" }, found.email),
    pairs([
      ["Status", found.status],
      ["Receiving", list(found.receiving)],
      ["Topics", list(found.topics)],
      ["Contact since", when(found.created_at)],
      ["Last change", when(found.updated_at)],
      ["Contact id", found.contact_id],
    ]),
    h("h2", {}, "Profile"),
    profile.length ? pairs(profile) : h("p", { class: "note" }, "No profile values yet."),
    h("h2", {}, "Consent records"),
    found.consents.length ? h("ol", { class: "records" }, found.consents.map(consentRow)) : h("p", { class: "note" }, "No consent recorded."),
    scoreSection(score),
    h("h2", {}, "Interactions (newest first)"),
    found.interactions.length ? h("ol", { class: "timeline" }, found.interactions.map(interactionRow)) : h("p", { class: "note" }, "None yet."),
    h("h2", {}, "Data"),
    h("p", {}, download(found, score)),
    canChange ? eraseSection(found, onErased) : null,
  );
}

function listSection(open) {
  const kind = h("select", { id: "list-kind" }, h("option", { value: "topic" }, "Topic"), h("option", { value: "segment" }, "Segment"));
  const name = h("input", { id: "list-name", name: "name", autocomplete: "off", required: true, "aria-describedby": "list-name-error" });
  const size = h("select", { id: "list-size" }, [10, 25, 100].map((n) => h("option", { value: n, selected: n === 25 }, String(n))));
  const problem = h("p", { id: "list-name-error", class: "error" });
  const body = h("tbody");
  const table = h("div", { class: "table", hidden: true }, h("table", { id: "members" },
    h("caption", {}, "Members"),
    h("thead", {}, h("tr", {}, ["Email", "Status", "Topics", "Since"].map((c) => h("th", { scope: "col" }, c)))),
    body));
  const more = h("button", { type: "button", id: "list-more", hidden: true }, "Next page");
  const counted = h("p", { id: "list-count", class: "note", "aria-live": "polite" });
  const form = h("form", { id: "list", novalidate: true },
    h("div", { class: "controls" },
      h("div", {}, h("label", { for: "list-kind" }, "List the members of a"), kind),
      h("div", {}, h("label", { for: "list-name" }, "Id"), name),
      h("div", {}, h("label", { for: "list-size" }, "Per page"), size)),
    problem, h("button", { type: "submit" }, "List"));
  let cursor = null;
  let shown = 0;
  let pages = 0;

  async function load(first) {
    problem.textContent = "";
    name.removeAttribute("aria-invalid");
    const query = new URLSearchParams({ [kind.value]: name.value.trim(), limit: size.value });
    if (!first && cursor) query.set("cursor", cursor);
    try {
      let page = await api("/admin/contacts?" + query.toString());
      // A page reads a few index shards at most, so it may come back empty with more to come:
      // read on a little before showing nothing (each read is a few index Queries, no Scan).
      for (let more = 0; !page.contacts.length && page.next_cursor && more < 4; more += 1) {
        query.set("cursor", page.next_cursor);
        page = await api("/admin/contacts?" + query.toString());
      }
      if (first) { body.replaceChildren(); shown = 0; }
      for (const row of page.contacts) {
        body.append(h("tr", {},
          h("td", {}, h("button", { type: "button", class: "link", "data-email": row.email }, row.email)),
          h("td", {}, row.status), h("td", {}, list(row.topics)), h("td", {}, when(row.created_at))));
      }
      shown += page.contacts.length;
      pages = first ? 1 : pages + 1;
      counted.dataset.pages = String(pages);
      cursor = page.next_cursor;
      table.hidden = shown === 0;
      more.hidden = !cursor;
      counted.textContent = shown ? shown + " shown" + (cursor ? "; more on the next page." : ", all of them.")
        : cursor ? "None on this page; there may be more." : "Nobody here yet.";
    } catch (error) {
      if (!showRefusal(form, error, null, { topic: "name", segment: "name" })) {
        problem.textContent = error.message;  // e.g. no such segment: about the id typed
        name.setAttribute("aria-invalid", "true");
        name.focus();
      }
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!name.value.trim()) {
      problem.textContent = "Type the id of a topic or a segment.";
      name.setAttribute("aria-invalid", "true");
      return name.focus();
    }
    load(true);
  });
  more.addEventListener("click", () => load(false));
  body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-email]");
    if (button) open(button.dataset.email);
  });
  return [h("h2", {}, "Lists"), form, counted, table, more];
}

export async function contacts(main, { canChange }) {
  const input = h("input", { id: "find-email", name: "email", type: "email", autocomplete: "off", required: true, "aria-describedby": "find-email-error" });
  const problem = h("p", { id: "find-email-error", class: "error" });
  const form = h("form", { id: "find", novalidate: true },
    h("label", { for: "find-email" }, "Email address (exact)"), input, problem,
    h("button", { type: "submit" }, "Find"));
  const result = h("div", { id: "contact-result" });
  const open = (address) => {
    input.value = address;
    form.requestSubmit();
  };
  replace(main, h("h1", {}, "Contacts"),
    h("p", { class: "note" }, "Find a contact by the address they signed up with (an address they changed leads to them too)."),
    form, result, listSection(open));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    input.removeAttribute("aria-invalid");
    replace(result);
    if (!input.value.trim()) {
      problem.textContent = "Type an email address.";
      input.setAttribute("aria-invalid", "true");
      return input.focus();
    }
    say("Looking up…");
    try {
      const found = await api("/admin/contacts?email=" + encodeURIComponent(input.value.trim()));
      const score = await api("/admin/contacts/" + encodeURIComponent(found.contact_id) + "/score")
        .catch((error) => { if (error instanceof ApiError && error.status === 404) return null; throw error; });
      const erased = (answer) => {
        const done = h("p", { id: "erased", tabindex: "-1" }, found.email + " is erased (" + answer.items + " items); the address stays suppressed.");
        replace(result, done);
        done.focus();
      };
      replace(result, contactPage(found, score, canChange, erased));
      say("");
      result.querySelector("h2").focus({ preventScroll: false });
    } catch (error) {
      say("");
      if (!showRefusal(form, error, null)) {
        problem.textContent = error.message;  // no such contact: about the address typed
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
  });
  input.focus();
}
