/* The marketer's trends page: GET /admin/reports with the marketer's bearer token, drawn as
   four SVG charts. Labels come from data (UTM sources are typed by visitors), so text is only
   ever set with textContent / setAttribute: nothing is parsed as markup. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#1d6b4f", "#d0802a", "#3b6fb6", "#b8444f", "#7a5cb0", "#2f9ba3", "#8a7d3a", "#7b867f"];
  var WIDTH = 560;
  var api = document.body.getAttribute("data-api") || "";
  var statusLine = document.getElementById("status");

  function svgNode(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function htmlNode(name, attrs, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function reset(id, height, label) {
    var figure = document.getElementById(id);
    Array.prototype.slice.call(figure.children).forEach(function (child) {
      if (child.tagName.toLowerCase() !== "figcaption") figure.removeChild(child);
    });
    var svg = svgNode("svg", { viewBox: "0 0 " + WIDTH + " " + height, role: "img", "aria-label": label });
    figure.appendChild(svg);
    return { figure: figure, svg: svg };
  }

  function nothingYet(svg, height) {
    svg.appendChild(svgNode("text", { x: WIDTH / 2, y: height / 2, "text-anchor": "middle", "class": "empty" }, "Nothing counted yet"));
  }

  function legend(figure, names, colors) {
    colors = colors || COLORS;
    var list = htmlNode("ul", { "class": "legend" });
    names.forEach(function (name, i) {
      var item = htmlNode("li", {});
      item.appendChild(htmlNode("span", { "class": "swatch", style: "background:" + colors[i % colors.length] }));
      item.appendChild(document.createTextNode(name));
      list.appendChild(item);
    });
    figure.appendChild(list);
  }

  function clip(text, length) {
    text = String(text);
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  /* Sign-ups: one stacked bar per day, a colour per source. */
  function drawSignups(report) {
    var height = 240, left = 36, bottom = 24, top = 10;
    var view = reset("signups", height, "Sign-ups per day by source");
    var days = report.days, series = report.series;
    var perDay = days.map(function (_, d) {
      return series.reduce(function (sum, s) { return sum + s.counts[d]; }, 0);
    });
    var max = Math.max.apply(null, perDay.concat([0]));
    if (!max) return nothingYet(view.svg, height);
    var plotH = height - top - bottom, step = (WIDTH - left - 4) / days.length;
    var barW = Math.max(1, step * 0.8);
    view.svg.appendChild(svgNode("line", { x1: left, y1: height - bottom, x2: WIDTH, y2: height - bottom, "class": "axis" }));
    view.svg.appendChild(svgNode("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, max));
    view.svg.appendChild(svgNode("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, 0));
    days.forEach(function (day, d) {
      var y = height - bottom;
      series.forEach(function (s, i) {
        var h = s.counts[d] / max * plotH;
        if (!h) return;
        y -= h;
        var bar = svgNode("rect", { x: left + d * step, y: y, width: barW, height: h, fill: COLORS[i % COLORS.length], "data-series": s.key });
        bar.appendChild(svgNode("title", {}, day + " · " + s.key + ": " + s.counts[d]));
        view.svg.appendChild(bar);
      });
    });
    [[0, "start"], [Math.floor(days.length / 2), "middle"], [days.length - 1, "end"]].forEach(function (tick) {
      var x = tick[1] === "end" ? WIDTH : left + tick[0] * step + (tick[1] === "middle" ? barW / 2 : 0);
      view.svg.appendChild(svgNode("text", { x: x, y: height - 6, "text-anchor": tick[1] }, days[tick[0]]));
    });
    legend(view.figure, series.map(function (s) { return s.key + " (" + s.total + ")"; }));
  }

  /* Horizontal bars: a label, the bar, the count. */
  function hbars(svg, rows, y0, color) {
    var max = Math.max.apply(null, rows.map(function (r) { return r.value; }).concat([1]));
    rows.forEach(function (row, i) {
      var y = y0 + i * 24, w = row.value / max * (WIDTH - 200);
      svg.appendChild(svgNode("text", { x: 130, y: y + 14, "text-anchor": "end" }, clip(row.label, 22)));
      var bar = svgNode("rect", { x: 136, y: y + 3, width: Math.max(w, row.value ? 2 : 0), height: 16, fill: color, "data-row": row.label });
      svg.appendChild(bar);
      svg.appendChild(svgNode("text", { x: 140 + w, y: y + 15 }, row.value));
    });
    return y0 + rows.length * 24;
  }

  function drawFunnel(report) {
    var steps = report.steps.map(function (s) { return { label: s.label, value: s.count }; });
    var now = report.stages_now.map(function (s) { return { label: "Now " + s.stage, value: s.contacts }; });
    var height = (steps.length + now.length) * 24 + 40;
    var view = reset("funnel", height, "Funnel by stage");
    if (!steps.concat(now).some(function (r) { return r.value; })) return nothingYet(view.svg, height);
    var y = hbars(view.svg, steps, 4, COLORS[0]);
    view.svg.appendChild(svgNode("line", { x1: 0, y1: y + 8, x2: WIDTH, y2: y + 8, "class": "axis" }));
    hbars(view.svg, now, y + 16, COLORS[2]);
    legend(view.figure, [
      "In the last " + report.days + " days (" + report.unsubscribed + " unsubscribed)",
      "Contacts per stage now"
    ], [COLORS[0], COLORS[2]]);
  }

  function drawScores(report) {
    var height = 220, bottom = 36, top = 16;
    var view = reset("scores", height, "Score distribution");
    var buckets = report.buckets;
    var max = Math.max.apply(null, buckets.map(function (b) { return b.contacts; }).concat([0]));
    if (!max) return nothingYet(view.svg, height);
    var step = WIDTH / buckets.length, plotH = height - top - bottom;
    view.svg.appendChild(svgNode("line", { x1: 0, y1: height - bottom, x2: WIDTH, y2: height - bottom, "class": "axis" }));
    buckets.forEach(function (b, i) {
      var h = b.contacts / max * plotH, x = i * step + step * 0.1;
      var bar = svgNode("rect", { x: x, y: height - bottom - h, width: step * 0.8, height: h, fill: COLORS[2], "data-bucket": b.from });
      bar.appendChild(svgNode("title", {}, b.label + ": " + b.contacts));
      view.svg.appendChild(bar);
      if (b.contacts) view.svg.appendChild(svgNode("text", { x: x + step * 0.4, y: height - bottom - h - 3, "text-anchor": "middle" }, b.contacts));
      view.svg.appendChild(svgNode("text", { x: x + step * 0.4, y: height - bottom + 14, "text-anchor": "middle" }, b.from < 0 ? "<0" : b.from >= 100 ? "100+" : b.from));
    });
  }

  var OUTCOMES = ["sent", "delivered", "opened", "clicked", "bounced", "soft_bounced", "complained", "unsubscribed"];

  function drawCampaigns(report) {
    var rows = OUTCOMES.map(function (o) { return { label: o.replace("_", " "), value: report.totals[o] || 0 }; });
    var height = rows.length * 24 + 8;
    var view = reset("campaigns", height, "Campaign results");
    if (!rows.some(function (r) { return r.value; })) return nothingYet(view.svg, height);
    hbars(view.svg, rows, 4, COLORS[1]);
    var table = htmlNode("table", {});
    var head = htmlNode("tr", {});
    ["Campaign"].concat(OUTCOMES).forEach(function (name) { head.appendChild(htmlNode("th", {}, name.replace("_", " "))); });
    table.appendChild(head);
    report.campaigns.forEach(function (c) {
      var row = htmlNode("tr", {});
      row.appendChild(htmlNode("td", {}, c.name || c.campaign_id));
      OUTCOMES.forEach(function (o) { row.appendChild(htmlNode("td", {}, c[o] || 0)); });
      table.appendChild(row);
    });
    var scroller = htmlNode("div", { "class": "table" });
    scroller.appendChild(table);
    view.figure.appendChild(scroller);
  }

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "error" : "";
  }

  function load() {
    var token = sessionStorage.getItem("ecrm-marketer-token");
    if (!token) return say("Enter a marketer token (ecrm serve prints one; deployed: your Cognito ID token).");
    var days = document.getElementById("days").value;
    say("Loading…");
    fetch(api + "/admin/reports?days=" + encodeURIComponent(days), {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (answer.status !== 200) {
        var message = (answer.body.error && answer.body.error.message) || answer.body.message || "HTTP " + answer.status;
        return say(message, true);
      }
      var report = answer.body;
      drawSignups(report.signups_by_source);
      drawFunnel(report.funnel);
      drawScores(report.scores);
      drawCampaigns(report.campaigns);
      document.body.setAttribute("data-loaded", "true");
      say("Last " + report.days + " days, up to today (UTC).");
    }).catch(function () { say("The API did not answer.", true); });
  }

  /* A token may arrive in the fragment (#token=…), which never reaches a server or a log. */
  var fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem("ecrm-marketer-token", fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  var input = document.getElementById("token");
  input.value = sessionStorage.getItem("ecrm-marketer-token") || "";
  document.getElementById("controls").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem("ecrm-marketer-token", input.value.trim());
    load();
  });
  document.getElementById("days").addEventListener("change", load);
  load();
}());
