/* Sending policy: the account's rules for marketing mail (GET /admin/settings/sending, one
   call), a frequency cap (at most N mails per contact in any D days) and quiet hours (no mail
   from start to end, each contact's local time, else the account's zone); saved with the
   version read (PUT; 409 if someone saved since, said with a way to load the current one).
   A refusal is shown next to the control it names (`quiet_hours.time_zone`); one about quiet
   hours as a whole (start and end equal) next to the end. docs/design/sending-policy.md. */

import { api } from "./api.js";
import { h, replace, say, showRefusal } from "./dom.js";

const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

function field(label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), hint ? h("p", { class: "note", id: control.id + "-hint" }, hint) : null,
    control, h("p", { id: control.id + "-error", class: "error" }));
}

function input(name, id, value, readOnly, attributes = {}) {
  const node = h("input", { id, name, autocomplete: "off", disabled: readOnly, "aria-describedby": id + "-error", ...attributes });
  node.value = value ?? "";
  return node;
}

function check(name, id, checked, readOnly, label) {
  const box = h("input", { type: "checkbox", id, name, disabled: readOnly, "aria-describedby": id + "-error" });
  box.checked = checked;
  return h("div", { class: "field check" }, box, h("label", { for: id }, label), h("p", { id: id + "-error", class: "error" }));
}

function savedLine(policy) {
  return policy.version
    ? "Version " + policy.version + ", saved " + (policy.updated_at || "").slice(0, 16).replace("T", " ") + " UTC by " + (policy.updated_by || "?") + "."
    : "Never saved: both rules are off.";
}

function draw(main, policy, canChange) {
  const ro = !canChange;
  const cap = policy.frequency_cap;
  const quiet = policy.quiet_hours;
  const problem = h("p", { id: "policy-problem", class: "error", role: "alert" });
  const reload = h("button", { type: "button", class: "secondary", id: "policy-reload", hidden: true }, "Load the current policy");
  const form = h("form", { id: "sending-policy", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Frequency cap"),
      check("frequency_cap.enabled", "cap-enabled", cap.enabled, ro, "Cap marketing mail per contact"),
      h("div", { class: "row-controls" },
        field("At most (mails)", input("frequency_cap.max_mails", "cap-max", cap.max_mails, ro, { type: "number", min: 1, max: 50, inputmode: "numeric" })),
        field("In any (days)", input("frequency_cap.period_days", "cap-days", cap.period_days, ro, { type: "number", min: 1, max: 90, inputmode: "numeric" }))),
      h("p", { class: "note" }, "Counted over the days before each mail (rolling), across campaigns and automations. A campaign skips a capped contact; an automation waits until the cap frees.")),
    h("fieldset", {}, h("legend", {}, "Quiet hours"),
      check("quiet_hours.enabled", "quiet-enabled", quiet.enabled, ro, "Hold marketing mail during quiet hours"),
      h("div", { class: "row-controls" },
        field("From (HH:MM, 24 h)", input("quiet_hours.start", "quiet-start", quiet.start, ro, { inputmode: "numeric", size: 5 })),
        field("Until (HH:MM, 24 h)", input("quiet_hours.end", "quiet-end", quiet.end, ro, { inputmode: "numeric", size: 5 }))),
      field("Account time zone", input("quiet_hours.time_zone", "quiet-zone", quiet.time_zone, ro, { list: "zones", spellcheck: "false" }),
        "For contacts whose profile has no time_zone of their own (an IANA name such as Europe/Paris)."),
      h("datalist", { id: "zones" }, ZONES.map((z) => h("option", { value: z }))),
      h("p", { class: "note" }, "A mail due in them waits for their end; a window may cross midnight (21:00 to 08:00). Confirmations, sign-in links and test sends are never held nor capped.")),
    problem, reload,
    canChange ? h("div", { class: "actions" }, h("button", { type: "submit" }, "Save")) : null);
  const saved = h("p", { class: "note", id: "policy-saved", tabindex: "-1" }, savedLine(policy));
  replace(main, h("h1", { tabindex: "-1" }, "Sending policy"),
    h("p", { class: "note" }, "Account-wide rules for campaign and automation mail; both are off until turned on."),
    saved, form, ro ? h("p", { class: "note" }, "Read only: the policy is changed by marketers.") : null);
  if (ro) return;

  let version = policy.version;
  const value = (name) => form.elements.namedItem(name);
  const whole = (name) => (value(name).value.trim() === "" ? null : Number(value(name).value));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    reload.hidden = true;
    for (const help of form.querySelectorAll("p.error")) help.textContent = "";
    for (const marked of form.querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
    const body = {
      frequency_cap: { enabled: value("frequency_cap.enabled").checked, max_mails: whole("frequency_cap.max_mails"), period_days: whole("frequency_cap.period_days") },
      quiet_hours: { enabled: value("quiet_hours.enabled").checked, start: value("quiet_hours.start").value,
        end: value("quiet_hours.end").value, time_zone: value("quiet_hours.time_zone").value.trim() },
      version,
    };
    say("Saving…");
    try {
      const stored = await api("/admin/settings/sending", { method: "PUT", body });
      version = stored.version;
      saved.textContent = savedLine(stored);
      say("Saved: version " + stored.version + ".");
    } catch (error) {
      say("");
      if (error.status === 409) {
        problem.textContent = error.message + " Your changes are still in the fields.";
        reload.hidden = false;
        return reload.focus();
      }
      showRefusal(form, error, problem, { quiet_hours: "quiet_hours.end", frequency_cap: "frequency_cap.max_mails" });
    }
  });
  reload.addEventListener("click", async () => {
    draw(main, await api("/admin/settings/sending"), canChange);
    say("Loaded the current policy.");
    main.querySelector("#policy-saved").focus();
  });
}

export async function sending(main, { canChange }) {
  draw(main, await api("/admin/settings/sending"), canChange);
  main.dataset.loaded = "true";
}
