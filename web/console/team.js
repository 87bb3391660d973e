/* Team (admins only; the navigation shows it to no one else and the API refuses anyone else):
   the console's users a page at a time (GET /admin/team) with role and status; invite a person
   by address with a role (POST /admin/team: Cognito mails them a temporary password, which
   they change on their first sign-in); change a user's role (PUT …/role); disable (signed out
   everywhere) or enable, each confirmed in a modal dialog. Your own row offers no control: an
   admin can neither demote nor disable themselves (the API refuses it too). */

import { api } from "./api.js";
import { confirmed as asked } from "./confirm.js";
import { h, replace, say, showRefusal } from "./dom.js";

const confirmed = (...question) => asked("team-confirm", ...question);

const ROLES = [
  ["marketer", "Marketer: changes everything"],
  ["viewer", "Viewer: reads only"],
  ["admin", "Admin: also manages the team"],
];
const ROLE_WORD = { admin: "admin", marketer: "marketer", viewer: "viewer" };
const STATUS = { invited: "Invited: has not chosen a password yet", confirmed: "Signed in before" };

function roleSelect(id, value) {
  const select = h("select", { id, name: "role", "aria-describedby": id + "-error" },
    ROLES.map(([role, label]) => h("option", { value: role, selected: role === value }, label)));
  if (!value) select.prepend(h("option", { value: "", selected: true }, "No role"));
  return select;
}

function memberRow(member, index, changed) {
  const id = "member-" + index;
  const state = member.enabled ? "" : " · disabled";
  const heading = h("h3", { id: id + "-email", tabindex: "-1" }, member.email, member.you ? " (you)" : "");
  const facts = h("p", { class: "note", id: id + "-status" },
    (member.role ? ROLE_WORD[member.role] : "no role") + " · " + (STATUS[member.status] || member.status) + state);
  if (member.you) {
    return h("li", { class: "member", "data-email": member.email }, heading, facts,
      h("p", { class: "note" }, "Another admin can change your role or disable you."));
  }
  const problem = h("p", { id: id + "-role-error", class: "error" });
  const form = h("form", { novalidate: true, class: "controls" },
    h("div", {}, h("label", { for: id + "-role" }, "Role of " + member.email), roleSelect(id + "-role", member.role), problem),
    h("button", { type: "submit" }, "Change role"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    const role = form.elements.namedItem("role").value;
    try {
      const saved = await api("/admin/team/" + encodeURIComponent(member.id) + "/role", { method: "PUT", body: { role } });
      say(saved.email + " is " + (saved.role === "admin" ? "an " : "a ") + saved.role + " now.");
      changed(saved);
    } catch (error) {
      showRefusal(form, error, problem);
    }
  });
  const toggle = h("button", { type: "button", class: member.enabled ? "danger" : "secondary" },
    (member.enabled ? "Disable " : "Enable ") + member.email + "…");
  toggle.addEventListener("click", async () => {
    const action = member.enabled ? "disable" : "enable";
    const yes = await (member.enabled
      ? confirmed("Disable " + member.email + "?", "They are signed out everywhere and cannot sign in until an admin enables them again.", "Disable " + member.email, true)
      : confirmed("Enable " + member.email + "?", "They can sign in again, with their role.", "Enable " + member.email, false));
    if (!yes) return toggle.focus();
    try {
      const saved = await api("/admin/team/" + encodeURIComponent(member.id) + "/" + action, { method: "POST" });
      say(saved.email + (saved.enabled ? " is enabled." : " is disabled and signed out."));
      changed(saved);
    } catch (error) {
      say(error.message, true);
      toggle.focus();
    }
  });
  return h("li", { class: "member", "data-email": member.email }, heading, facts, form, toggle);
}

export async function team(main) {
  const list = h("ul", { id: "team-list", class: "members" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More people");
  const email = h("input", { id: "invite-email", name: "email", type: "email", autocomplete: "off", required: true, "aria-describedby": "invite-email-error" });
  const problem = h("p", { id: "invite-problem", class: "error" });
  const invite = h("form", { id: "invite", novalidate: true },
    h("h2", {}, "Invite someone"),
    h("label", { for: "invite-email" }, "Their email address"), email, h("p", { id: "invite-email-error", class: "error" }),
    h("label", { for: "invite-role" }, "Role"), roleSelect("invite-role", "marketer"), h("p", { id: "invite-role-error", class: "error" }),
    problem,
    h("button", { type: "submit" }, "Invite"));
  replace(main,
    h("h1", {}, "Team"),
    h("p", { class: "note" }, "Who signs in to this console, and what they may do. An invited person gets a mail from Cognito with a",
      " temporary password, and chooses their own when they first sign in (with ecrm serve, the mail is in the local outbox)."),
    invite,
    h("h2", { id: "team-title" }, "People"),
    list, more);

  let cursor = null;
  let shown = [];
  const draw = (focusEmail) => {
    replace(list, shown.length
      ? shown.map((member, index) => memberRow(member, index, (saved) => {
        shown = shown.map((m) => (m.id === saved.id ? saved : m));
        draw(saved.email);
      }))
      : h("li", {}, "Nobody yet: invite someone above."));
    if (focusEmail) list.querySelector(`li[data-email="${CSS.escape(focusEmail)}"] h3`)?.focus();
  };
  async function load(first) {
    main.removeAttribute("data-loaded");
    const page = await api("/admin/team" + (first || !cursor ? "" : "?cursor=" + encodeURIComponent(cursor)));
    shown = first ? page.items : shown.concat(page.items);
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    draw();
    main.dataset.loaded = "true";
  }
  more.addEventListener("click", () => load(false).catch((error) => say(error.message, true)));
  invite.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const node of invite.querySelectorAll(".error")) node.textContent = "";
    try {
      const member = await api("/admin/team", { method: "POST", body: { email: email.value, role: invite.elements.namedItem("role").value } });
      email.value = "";
      shown = [member].concat(shown.filter((m) => m.id !== member.id));
      draw(member.email);
      say("Invited " + member.email + " as " + member.role + ": Cognito mails them a temporary password.");
    } catch (error) {
      showRefusal(invite, error, problem);
    }
  });
  await load(true);
}
