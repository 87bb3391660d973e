/* The marketer's trends page: GET /admin/reports with the marketer's bearer token, drawn by the
   console's trends charts (web/console/trends.js, served at /console/ here and in AWS alike:
   `../console/` from this page's folder, or from the bucket's root, is /console/). */

import { say } from "../console/dom.js";
import { drawTrends } from "../console/trends.js";

const api = document.body.getAttribute("data-api") || "";

async function load() {
  const token = sessionStorage.getItem("ecrm-marketer-token");
  if (!token) return say("Enter a marketer token (ecrm serve prints one; deployed: your Cognito ID token).");
  const days = document.getElementById("days").value;
  say("Loading…");
  let answer, body;
  try {
    answer = await fetch(api + "/admin/reports?days=" + encodeURIComponent(days), {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
    });
    body = await answer.json();
  } catch {
    return say("The API did not answer.", true);
  }
  if (answer.status !== 200) {
    return say((body.error && body.error.message) || body.message || "HTTP " + answer.status, true);
  }
  drawTrends(document.getElementById("charts"), body);
  document.body.setAttribute("data-loaded", "true");
  say("Last " + body.days + " days, up to today (UTC).");
}

/* A token may arrive in the fragment (#token=…), which never reaches a server or a log. */
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  sessionStorage.setItem("ecrm-marketer-token", fragment.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
}
const input = document.getElementById("token");
input.value = sessionStorage.getItem("ecrm-marketer-token") || "";
document.getElementById("controls").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("ecrm-marketer-token", input.value.trim());
  load();
});
document.getElementById("days").addEventListener("change", load);
load();
