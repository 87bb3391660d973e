/* Scheduling a campaign (its page, campaigns.js): at one moment (`at`, on the marketer's own
   clock), or at a time of each recipient's own day (`local_time` on the day `on`: each recipient
   when their clock shows it, in waves, the first where it comes first; docs/design/
   sending-policy.md, "Send at a local time"). The choice is a radio group (one Tab stop, the
   arrow keys choose); a refusal is shown at its field. An A/B test's campaign keeps the second
   choice disabled and says why: its rest goes out when the winner is chosen. */

import { h } from "./dom.js";

const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const NOT_FOR_AB = "Not for an A/B test: the rest of its audience gets the winner when it is chosen, which cannot be the same hour everywhere.";
const BAD_TIME = "Not a time: HH:MM on a 24-hour clock, such as 09:00.";

/** "09:00 in each recipient's zone on 8 Dec 2026". */
export function localWords(local) {
  return local.time + " in each recipient's zone on " + DAY.format(new Date(local.on + "T00:00:00Z"));
}

/** When the last zone (UTC−12) reaches the local time: the moment of the last wave (ISO). */
export function lastWave(local) {
  const moment = Date.parse(local.on + "T" + local.time + ":00Z");
  return Number.isNaN(moment) ? null : new Date(moment + 12 * 3600 * 1000).toISOString();
}

function field(label, control) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, h("p", { id: control.id + "-error", class: "error" }));
}

function radio(value, label, attributes) {
  return h("label", { class: "choice" }, h("input", { type: "radio", name: "how", value, ...attributes }), label);
}

/** The form; `act("schedule", body, form, { aliases, reword })` sends it and shows a refusal. */
export function scheduleForm(c, act) {
  const ab = Boolean(c.ab_test);
  const local = !ab && c.state === "scheduled" ? c.local_time : null;
  const at = h("input", { id: "schedule-at", name: "at", type: "datetime-local", "aria-describedby": "schedule-at-error" });
  const time = h("input", { id: "schedule-local-time", name: "local_time", autocomplete: "off", inputmode: "numeric", size: 5,
    spellcheck: "false", "aria-describedby": "schedule-local-time-error" });
  const on = h("input", { id: "schedule-on", name: "on", type: "date", "aria-describedby": "schedule-on-error" });
  time.value = local ? local.time : "09:00";
  on.value = local ? local.on : "";
  const atPart = h("div", { id: "schedule-moment" }, field("Send at (your own time zone)", at));
  const localPart = h("div", { id: "schedule-local", class: "row-controls" },
    field("Time of their day (HH:MM, 24 h)", time), field("On the day", on));
  const why = ab ? h("p", { class: "note", id: "schedule-local-why" }, NOT_FOR_AB) : null;
  const choices = h("fieldset", { class: "period", id: "schedule-how" }, h("legend", {}, "Schedule it"),
    h("div", { class: "choices" },
      radio("at", "At one moment", { checked: !local }),
      radio("local", "At a time of each recipient's own day", { checked: Boolean(local), disabled: ab, "aria-describedby": why ? why.id : null })),
    why);
  const form = h("form", { id: "schedule-form", novalidate: true }, choices, atPart, localPart,
    h("p", { class: "note", id: "schedule-local-note" }, "Each recipient gets it when their own clock shows that time (the zone of their profile, else the account's), in waves: the first where the day comes first."),
    h("button", { type: "submit", class: "secondary" }, "Schedule"));
  const how = () => form.elements.namedItem("how").value;
  const show = () => {
    atPart.hidden = how() !== "at";
    localPart.hidden = form.querySelector("#schedule-local-note").hidden = how() !== "local";
  };
  choices.addEventListener("change", show);
  show();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const help of form.querySelectorAll("p.error")) help.textContent = "";
    if (how() === "local") {
      const body = { local_time: time.value.trim() || null, on: on.value || null };
      return act("schedule", body, form, {
        aliases: { at: "local_time" },  // neither given: the API names `at`
        reword: (name, said) => (name === "local_time" && /pattern|string/i.test(said) ? BAD_TIME : said),
      });
    }
    const chosen = new Date(at.value);
    if (!at.value || Number.isNaN(chosen.getTime())) {
      form.querySelector("#schedule-at-error").textContent = "Choose a day and a time.";
      at.setAttribute("aria-invalid", "true");
      return at.focus();
    }
    return act("schedule", { at: chosen.toISOString() }, form);
  });
  return form;
}
