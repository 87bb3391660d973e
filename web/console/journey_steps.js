/* A journey's steps as a list of fieldsets (journey_editor.js): send a template, wait a duration,
   wait until a time of day on the contact's clock, wait for an event (journey_events.js's kinds
   a wait takes; at most a timeout, each way going on to its own step), branch on whether the
   contact opened or clicked an earlier mail or is in a segment of conditions (conditions.js, as the Segments screen's), split at random, update the contact (journey_update.js), tell other systems (notify:
   EventBridge and/or a webhook, with an optional label), exit. The list is the order
   the journey is read in: the first step is where contacts start, and each step goes on to
   "the next step in the list", a later step chosen by its id, or the end; a branch's arms and
   a split's paths too (a path may hold out: the run ends). Choosing only later steps keeps the
   graph going forward (the API refuses a circle anyway). Steps of other kinds (added later)
   are kept as the API gave them. Controls are named as the API names them in a refusal
   (`steps.2.template_id`). */

import { blank, conditionRow, KINDS as CONDITIONS, readCondition } from "./conditions.js";
import { h, replace } from "./dom.js";
import { eventPart } from "./journey_events.js";
import * as update from "./journey_update.js";

export const KINDS = { send: "Send a mail", wait: "Wait", wait_until: "Wait until a time of day", wait_for: "Wait for an event", branch: "Branch on a mail or conditions",
  split: "Split at random", update: "Update the contact", notify: "Tell other systems", exit: "Exit" };
export const CHANNELS = [["eventbridge", "EventBridge (the default bus)"], ["webhook", "Webhook (a journey.step event)"]];
const UNITS = [["minutes", 1], ["hours", 60], ["days", 1440]];
const NEXT = "+next";  // "the next step in the list"
let keys = 0;

/** Steps from start onwards, each after every step leading to it (the list order breaks ties);
    steps no path reaches go last. */
export function ordered(steps, start) {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const seen = new Set();
  const out = [];
  const visit = (id) => {
    const step = byId.get(id);
    if (!step || seen.has(id)) return;
    seen.add(id);
    for (const target of successors(step).reverse()) visit(target);
    out.push(step);
  };
  visit(start);
  out.reverse();
  return [...out, ...steps.filter((s) => !seen.has(s.id))];
}

export function successors(step) {
  if (step.type === "branch") return [step.yes, step.no].filter(Boolean);
  if (step.type === "split") return (step.paths || []).map((p) => p.next).filter(Boolean);
  if (step.type === "wait_for") return [step.next, step.on_timeout].filter(Boolean);
  return step.next ? [step.next] : [];
}

function fromApi(steps) {
  const keyOf = new Map(steps.map((s) => [s.id, "k" + (keys += 1)]));
  const ref = (target, i) => (!target ? "" : steps[i + 1]?.id === target ? NEXT : keyOf.get(target) || "");
  return steps.map((s, i) => {
    const step = { key: keyOf.get(s.id), id: s.id, type: s.type };
    if (s.type === "send") {
      Object.assign(step, { template_id: s.template_id, topic: s.topic, kind: s.kind || "marketing",
        sender: { email: s.sender?.email || "", name: s.sender?.name || "" }, next: ref(s.next, i) });
    } else if (s.type === "wait") {
      const [unit, size] = [...UNITS].reverse().find(([, n]) => s.minutes % n === 0);
      Object.assign(step, { amount: s.minutes / size, unit, next: ref(s.next, i) });
    } else if (s.type === "wait_until") {
      Object.assign(step, { time: s.time, next: ref(s.next, i) });
    } else if (s.type === "wait_for") {
      const [unit, size] = [...UNITS].reverse().find(([, n]) => s.timeout_minutes % n === 0);
      Object.assign(step, { event: { ...s.event }, amount: s.timeout_minutes / size, unit, next: ref(s.next, i), on_timeout: ref(s.on_timeout, i) });
    } else if (s.type === "branch") {
      const asked = s.if || {};
      Object.assign(step, { what: asked.conditions ? "conditions" : asked.clicked ? "clicked" : "opened",
        asked: keyOf.get(asked.clicked || asked.opened) || "", conditions: asked.conditions || null, yes: ref(s.yes, i), no: ref(s.no, i) });
    } else if (s.type === "update") {
      Object.assign(step, update.fromApi(s), { next: ref(s.next, i) });
    } else if (s.type === "split") {
      step.paths = s.paths.map((p) => ({ percent: p.percent, next: ref(p.next, i) }));
    } else if (s.type === "notify") {
      Object.assign(step, { to: [...s.to], label: s.label || "", next: ref(s.next, i) });
    } else if (s.type !== "exit") {
      step.raw = s;
    }
    return step;
  });
}

export function stepRows(initial, readOnly) {
  const steps = fromApi(initial);
  const box = h("div", { id: "jo-steps" });
  const said = h("p", { class: "note", "aria-live": "polite", id: "jo-steps-said" });
  const kind = h("select", { id: "jo-add-kind" }, Object.entries(KINDS).map(([value, text]) => h("option", { value }, text)));
  const add = h("button", { type: "button", id: "jo-add", class: "secondary" }, "Add the step");
  const adding = h("div", { class: "controls add-step" },
    h("div", {}, h("label", { for: "jo-add-kind" }, "A new step at the end"), kind), add);

  const field = (label, node, hint) => h("div", { class: "field" }, h("label", { for: node.id }, label), node,
    hint ? h("p", { class: "note" }, hint) : null, h("p", { id: node.id + "-error", class: "error" }));
  const targets = (i, value) => {
    const later = steps.slice(i + 1);
    const options = later.map((s) => h("option", { value: s.key, selected: value === s.key, "data-key": s.key }, "Go to " + s.id));
    if (value && value !== NEXT && !later.some((s) => s.key === value)) {  // moved above it since
      const earlier = steps.find((s) => s.key === value);
      options.push(h("option", { value, selected: true, "data-key": value }, "Go to " + (earlier?.id || "?") + " (earlier in the list)"));
    }
    return options;
  };

  function row(step, i) {
    const base = "jo-" + i;
    const name = "steps." + i;
    const control = (tag, key, attrs = {}, ...children) => {
      const node = h(tag, { id: base + "-" + key.replaceAll(".", "-"), name: name + "." + key, autocomplete: tag === "input" ? "off" : false,
        readonly: tag === "input" && readOnly, disabled: tag === "select" && readOnly, "aria-describedby": base + "-" + key.replaceAll(".", "-") + "-error", ...attrs }, ...children);
      return node;
    };
    const text = (key, value, attrs = {}, set = (v) => { step[key] = v; }) => {
      const node = control("input", key, attrs);
      node.value = value ?? "";
      node.addEventListener("input", () => set(node.value));
      return node;
    };
    const choice = (key, value, options, set = (v) => { step[key] = v; }) => {
      const node = control("select", key, {}, options);
      node.addEventListener("change", () => set(node.value));
      return node;
    };
    const ways = (value, end) => [h("option", { value: NEXT, selected: value === NEXT }, "The next step in the list"),
      h("option", { value: "", selected: value === "" }, end), ...targets(i, value)];
    const then = (key, label) => field(label, choice(key, step[key], ways(step[key], "End the journey")));
    const id = text("id", step.id, { pattern: "[a-z][a-z0-9_]*", maxlength: 32 }, (v) => {
      step.id = v.trim();
      for (const option of box.querySelectorAll(`option[data-key="${step.key}"]`)) option.textContent = "Go to " + step.id;
      for (const option of box.querySelectorAll(`option[data-sent="${step.key}"]`)) option.textContent = step.id;
    });
    let parts;
    if (step.type === "send") {
      parts = [
        field("Template (id)", text("template_id", step.template_id, { list: "jo-templates" })),
        field("Topic of the mail", text("topic", step.topic)),
        field("From address", text("sender.email", step.sender.email, { type: "email" }, (v) => { step.sender.email = v; })),
        field("From name", text("sender.name", step.sender.name, {}, (v) => { step.sender.name = v; })),
        field("Kind", choice("kind", step.kind, ["marketing", "transactional"].map((value) =>
          h("option", { value, selected: step.kind === value }, value))),
          "Marketing: consent, the cap and quiet hours checked; transactional: only bounces and complaints stop it."),
        then("next", "Then"),
      ];
    } else if (step.type === "wait") {
      parts = [
        field("Wait for", text("minutes", step.amount, { type: "number", min: 1, inputmode: "numeric" }, (v) => { step.amount = v; })),
        field("Unit", choice("unit", step.unit, UNITS.map(([u]) => h("option", { value: u, selected: step.unit === u }, u)))),
        then("next", "Then"),
      ];
    } else if (step.type === "wait_until") {
      parts = [field("Until the time (HH:MM, 24 h)", text("time", step.time, { inputmode: "numeric", maxlength: 5, placeholder: "09:00" }),
        "On the contact's own clock (their time zone, else their country's, else the account's)."), then("next", "Then")];
    } else if (step.type === "wait_for") {
      const until = eventPart({ part: "wait_for", label: "Until", id: base + "-event-event", base: base + "-event", prefix: name + ".event",
        value: step.event, readOnly, changed: (v) => { step.event = v; } });
      parts = [
        ...until.nodes,
        field("At most", text("timeout_minutes", step.amount, { type: "number", min: 1, inputmode: "numeric" }, (v) => { step.amount = v; })),
        field("Unit", choice("timeout_unit", step.unit, UNITS.map(([u]) => h("option", { value: u, selected: step.unit === u }, u)))),
        then("next", "When it happens"),
        then("on_timeout", "If not by then"),
      ];
    } else if (step.type === "branch") {
      const sends = steps.slice(0, i).filter((s) => s.type === "send");
      const asks = [["opened", "opened"], ["clicked", "clicked a link in"], ["conditions", "meets these conditions (all of them)"]];
      const what = choice("what", step.what, asks.map(([value, t]) => h("option", { value, selected: step.what === value }, t)), (v) => {
        step.what = v;
        if (v === "conditions" && !step.conditions?.length) step.conditions = [blank("field")];
        draw();
        box.querySelector("#" + base + "-what").focus();
      });
      parts = [field("If the contact", what)];
      if (step.what === "conditions") {
        const rows = h("div", { class: "conditions" });
        const read = () => [...rows.querySelectorAll("fieldset.condition")].map(readCondition);
        const redraw = (focus) => {
          draw();
          box.querySelector(focus)?.focus();
        };
        replace(rows, step.conditions.map((c, m) => conditionRow(c, m, { readOnly, prefix: base + "-cond-", names: name + ".if.conditions." + m + ".",
          onKind: (k) => { step.conditions = read(); step.conditions[m] = blank(k); redraw(`#${base}-cond-${m}-kind`); },
          onRemove: () => { step.conditions = read(); step.conditions.splice(m, 1); redraw(`#${base}-what`); } })));
        const keep = () => { if (rows.isConnected) step.conditions = read(); };  // not once redrawn
        rows.addEventListener("input", keep);
        rows.addEventListener("change", keep);
        const newKind = control("select", "new_condition", {}, Object.entries(CONDITIONS).map(([k, spec]) => h("option", { value: k }, spec.name)));
        const more = h("button", { type: "button", class: "secondary small", disabled: step.conditions.length >= 20 }, "Add the condition");
        more.addEventListener("click", () => {
          step.conditions = [...read(), blank(newKind.value)];
          redraw(`#${base}-cond-${step.conditions.length - 1}-kind`);
        });
        parts.push(rows, readOnly ? null : h("div", { class: "controls" }, field("New condition of kind", newKind), more));
      } else {
        parts.push(field("the mail of the step", choice("if", step.asked, [h("option", { value: "" }, "Choose an earlier send step"),
          ...sends.map((s) => h("option", { value: s.key, selected: step.asked === s.key, "data-sent": s.key }, s.id))], (v) => { step.asked = v; })));
      }
      parts.push(
        then("yes", "If yes"),
        then("no", "If not"));
    } else if (step.type === "split") {
      parts = step.paths.map((p, m) => {
        const percent = text("paths." + m + ".percent", p.percent, { type: "number", min: 0, max: 100, inputmode: "numeric" }, (v) => { p.percent = v; });
        const target = choice("paths." + m + ".next", p.next, ways(p.next, "Hold out: the run ends here"), (v) => { p.next = v; });
        const drop = h("button", { type: "button", class: "secondary small", disabled: readOnly || step.paths.length <= 2 }, "Remove path " + (m + 1));
        drop.addEventListener("click", () => {
          step.paths.splice(m, 1);
          draw();
          said.textContent = "Path " + (m + 1) + " of step " + step.id + " removed.";
          box.querySelector(`#jo-${i}-paths-0-percent`).focus();
        });
        return h("div", { class: "split-path" }, field("Path " + (m + 1) + ": percent of contacts", percent), field("Path " + (m + 1) + " goes to", target),
          readOnly ? null : drop);
      });
      const more = h("button", { type: "button", class: "secondary small", disabled: step.paths.length >= 5 }, "Add a path");
      more.addEventListener("click", () => {
        step.paths.push({ percent: 0, next: "" });
        draw();
        box.querySelector(`#jo-${i}-paths-${step.paths.length - 1}-percent`).focus();
      });
      parts.push(h("p", { class: "note" }, "The percentages add up to 100; a held-out path ends the run (a control group)."), readOnly ? null : more);
    } else if (step.type === "update") {
      parts = update.parts(step, { base, name, text, field, then, readOnly, redraw: draw,
        focus: (suffix) => box.querySelector("#" + base + suffix).focus() });
    } else if (step.type === "notify") {
      // the checkboxes in a fieldset named as a refusal names them (`steps.N.to`)
      const boxes = CHANNELS.map(([value, label]) => {
        const box = control("input", "to." + value, { type: "checkbox", disabled: readOnly, "aria-describedby": false });
        box.checked = step.to.includes(value);
        box.addEventListener("change", () => { step.to = CHANNELS.map(([v]) => v).filter((v) => (v === value ? box.checked : step.to.includes(v))); });
        return h("div", { class: "field check" }, box, h("label", { for: box.id }, label));
      });
      parts = [
        h("fieldset", { id: base + "-to", name: name + ".to", tabindex: -1, "aria-describedby": base + "-to-error" },
          h("legend", {}, "Tell"), boxes, h("p", { id: base + "-to-error", class: "error" })),
        field("Label (optional)", text("label", step.label, { maxlength: 64 }), "A name receivers go by, such as trial-ending."),
        then("next", "Then"),
      ];
    } else if (step.type === "exit") {
      parts = [h("p", { class: "note" }, "The run ends here.")];
    } else {
      parts = [h("p", { class: "note" }, "A " + step.type + " step: kept as it is (edit it with ecrm journeys put)."),
        h("pre", { class: "plain" }, JSON.stringify(step.raw, null, 1))];
    }
    const move = (label, to, key) => {
      const button = h("button", { type: "button", class: "secondary small", "data-move": key, disabled: to < 0 || to >= steps.length }, label);
      button.addEventListener("click", () => {
        steps.splice(to, 0, steps.splice(i, 1)[0]);
        draw();
        said.textContent = "Step " + step.id + " is now number " + (to + 1) + ".";
        (box.querySelector(`#jo-step-${to} [data-move="${key}"]:not([disabled])`) || box.querySelector(`#jo-${to}-id`)).focus();
      });
      return button;
    };
    const remove = h("button", { type: "button", class: "danger small" }, "Remove");
    remove.addEventListener("click", () => {
      steps.splice(i, 1);
      draw();
      said.textContent = "Step " + step.id + " removed.";
      (box.querySelector("#jo-" + Math.min(i, steps.length - 1) + "-id") || kind).focus();
    });
    return h("fieldset", { class: "field-row", id: "jo-step-" + i, name, "data-type": step.type, "aria-describedby": base + "-error" },
      h("legend", {}, "Step " + (i + 1) + (i === 0 ? " (contacts start here)" : "") + ": " + (KINDS[step.type] || step.type)),
      h("div", { class: "row-controls" }, field("Step id", id), ...parts),
      h("p", { id: base + "-error", class: "error" }),
      readOnly ? null : h("div", { class: "actions" }, move("Move up", i - 1, "up"), move("Move down", i + 1, "down"), remove));
  }

  function draw() {
    replace(box, steps.length ? steps.map(row) : h("p", { class: "note" }, "No step yet: add the first (a mail, say)."), said, readOnly ? null : adding);
  }
  add.addEventListener("click", () => {
    const type = kind.value;
    const prefix = { send: "mail", wait: "wait", wait_until: "until_time", wait_for: "until", branch: "branch", split: "split", update: "update", notify: "notify", exit: "exit" }[type];
    let n = 1;
    while (steps.some((s) => s.id === prefix + "_" + n)) n += 1;
    const step = { key: "k" + (keys += 1), id: prefix + "_" + n, type };
    const earlier = [...steps].reverse().find((s) => s.type === "send");
    if (type === "send") {
      Object.assign(step, { template_id: "", topic: earlier?.topic || "", kind: "marketing", next: NEXT,
        sender: { email: earlier?.sender.email || "", name: earlier?.sender.name || "" } });
    }
    if (type === "wait") Object.assign(step, { amount: 1, unit: "days", next: NEXT });
    if (type === "wait_until") Object.assign(step, { time: "09:00", next: NEXT });
    if (type === "wait_for") Object.assign(step, { event: { event: "custom_event" }, amount: 3, unit: "days", next: NEXT, on_timeout: "" });
    if (type === "update") Object.assign(step, update.fresh(), { next: NEXT });
    if (type === "notify") Object.assign(step, { to: [], label: "", next: NEXT });
    if (type === "split") step.paths = [{ percent: 50, next: NEXT }, { percent: 50, next: "" }];
    if (type === "branch") Object.assign(step, { what: "opened", asked: earlier?.key || "", yes: NEXT, no: "" });
    steps.push(step);
    draw();
    said.textContent = "Step " + steps.length + " added: " + KINDS[type] + ".";
    const i = steps.length - 1;
    box.querySelector({ send: `#jo-${i}-template_id`, wait: `#jo-${i}-minutes`, wait_until: `#jo-${i}-time`, wait_for: `#jo-${i}-event-event`, branch: `#jo-${i}-what`,
      split: `#jo-${i}-paths-0-percent`, update: `#jo-${i}-set_field-0`, notify: `#jo-${i}-to-eventbridge` }[type] || `#jo-${i}-id`).focus();
  });
  draw();

  function value() {
    const idOf = new Map(steps.map((s) => [s.key, s.id]));
    const ref = (target, i) => (target === NEXT ? steps[i + 1]?.id ?? null : target ? idOf.get(target) ?? null : null);
    return steps.map((s, i) => {
      if (s.raw) return { ...s.raw, id: s.id };
      const out = { id: s.id, type: s.type };
      if (s.type === "send") {
        Object.assign(out, { template_id: s.template_id.trim(), topic: s.topic.trim(), kind: s.kind,
          sender: { email: s.sender.email.trim(), name: s.sender.name.trim() }, next: ref(s.next, i) });
      } else if (s.type === "wait") {
        const size = UNITS.find(([u]) => u === s.unit)[1];
        Object.assign(out, { minutes: Math.round(Number(s.amount) * size), next: ref(s.next, i) });
      } else if (s.type === "wait_until") {
        Object.assign(out, { time: s.time.trim(), next: ref(s.next, i) });
      } else if (s.type === "wait_for") {
        const size = UNITS.find(([u]) => u === s.unit)[1];
        const event = Object.fromEntries(Object.entries(s.event).filter(([, v]) => v !== null && v !== undefined && String(v).trim() !== "")
          .map(([k, v]) => [k, typeof v === "string" ? v.trim() : v]));
        Object.assign(out, { event, timeout_minutes: Math.round(Number(s.amount) * size), next: ref(s.next, i), on_timeout: ref(s.on_timeout, i) });
      } else if (s.type === "update") {
        Object.assign(out, update.toApi(s), { next: ref(s.next, i) });
      } else if (s.type === "notify") {
        Object.assign(out, { to: s.to, next: ref(s.next, i) });
        if (s.label.trim()) out.label = s.label.trim();
      } else if (s.type === "split") {
        out.paths = s.paths.map((p) => ({ percent: Number(p.percent), next: ref(p.next, i) }));
      } else if (s.type === "branch") {
        const asked = s.what === "conditions" ? { conditions: s.conditions } : { [s.what]: idOf.get(s.asked) || "" };
        Object.assign(out, { if: asked, yes: ref(s.yes, i), no: ref(s.no, i) });
      }
      return out;
    });
  }
  return { box, value, start: () => steps[0]?.id || "" };
}
