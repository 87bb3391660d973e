/* The console's shell: config, sign-in, one navigation, and the screen the fragment names
   (`#/home`). Routes are names from SCREENS, never URLs: nothing in the address can send the
   browser elsewhere. Screens that do not work yet are listed, marked, and not links. */

import { contacts } from "./contacts.js";
import { h, replace, say } from "./dom.js";
import { home } from "./home.js";
import * as session from "./session.js";

const SCREENS = [
  { id: "home", name: "Home", show: home },
  { id: "contacts", name: "Contacts", show: contacts },
  { id: "forms", name: "Forms", show: async (main, how) => (await import("./forms.js")).forms(main, how) },
  // Loaded when opened: the code editor's library stays out of the first load.
  { id: "templates", name: "Templates", show: async (main, how) => (await import("./templates.js")).templates(main, how) },
  { id: "segments", name: "Segments", show: async (main, how) => (await import("./segments.js")).segments(main, how) },
  { id: "campaigns", name: "Campaigns", show: async (main, how) => (await import("./campaigns.js")).campaigns(main, how) },
  { id: "automations", name: "Automations", show: async (main, how) => (await import("./automations.js")).automations(main, how) },
  { id: "journeys", name: "Journeys", show: async (main, how) => (await import("./journeys.js")).journeys(main, how) },
  { id: "scoring", name: "Scoring", show: async (main, how) => (await import("./scoring.js")).scoring(main, how) },
  { id: "sending", name: "Sending policy", show: async (main, how) => (await import("./sending.js")).sending(main, how) },
  { id: "imports", name: "Imports", show: async (main, how) => (await import("./imports.js")).imports(main, how) },
  { id: "team", name: "Team", only: "admin", show: async (main, how) => (await import("./team.js")).team(main, how) },
];
const ROLE_NAMES = { admin: "Admin", marketer: "Marketer", viewer: "Viewer · read only", none: "No role" };

const main = document.getElementById("main");
let shown = null;

function allowed(screen) {
  const who = session.identity();
  return !screen.only || (who && who.role === screen.only);
}

function current() {
  const wanted = /^#\/([a-z]+)$/.exec(location.hash);
  const screen = SCREENS.find((s) => wanted && s.id === wanted[1] && s.show && allowed(s));
  return screen || SCREENS[0];
}

function chrome() {
  const who = session.identity();
  const nav = document.getElementById("nav");
  const whoLine = document.getElementById("who");
  const signOut = document.getElementById("sign-out");
  nav.hidden = whoLine.hidden = signOut.hidden = !who;
  if (!who) return;
  document.body.dataset.role = who.role;
  replace(whoLine, who.email + " ", h("span", { class: "role" }, ROLE_NAMES[who.role]));
  const active = current();
  replace(
    document.getElementById("nav-list"),
    SCREENS.filter(allowed).map((s) =>
      h("li", {}, s.show
        ? h("a", { href: "#/" + s.id, "aria-current": s === active ? "page" : false }, s.name)
        : h("span", { class: "later", "data-screen": s.id }, s.name, " ", h("small", {}, "not yet available")))
    )
  );
}

async function route() {
  const screen = current();
  chrome();
  if (shown === screen && main.childElementCount) return;
  shown = screen;
  say("");
  replace(main);
  delete main.dataset.loaded;  // set again by the screen once it has read what it shows
  const who = session.identity() || { role: "none" };
  document.title = screen.name + " · ecrm console";
  try {
    // A viewer gets no control that changes anything: screens build them only if canChange.
    await screen.show(main, { canChange: who.role === "admin" || who.role === "marketer" });
  } catch (error) {
    say(error.message, true);
  }
}

async function boot() {
  try {
    await session.loadConfig();
  } catch (error) {
    say(error.message, true);
    return;
  }
  session.onChange(chrome);
  session.restore();
  document.getElementById("sign-out").addEventListener("click", async () => {
    await session.signOut();
    shown = null;
    replace(main);
    say("You are signed out.");
    await session.signIn("You are signed out.");
    route();
  });
  window.addEventListener("hashchange", () => {
    route();
    main.focus();
  });
  if (!session.signedIn()) await session.signIn();
  route();
}

boot();
