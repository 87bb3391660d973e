// The preference center: sign in with a mailed link, then read and change the account through
// the API beside this page. The session is a bearer token kept in sessionStorage (gone with
// the tab); tokens from mail arrive in the URL fragment, which never reaches a server.
// Everything shown is set with textContent or DOM properties: no HTML is built from data.
(function () {
  "use strict";

  var SESSION = "ecrm.session";
  var state = { etag: null, account: null };
  var mailed = { token: null, verify: null };  // one-time tokens from the link, not yet used

  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (name) {
      if (name === "text") node.textContent = props[name];
      else if (name in node && name.indexOf("-") < 0) node[name] = props[name];
      else node.setAttribute(name, props[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function say(text) { $("message").textContent = text || ""; $("problem").textContent = ""; }
  function complain(text) { $("problem").textContent = text || ""; $("message").textContent = ""; }

  function Problem(status, message, fields, response) {
    this.status = status; this.message = message; this.fields = fields || {};
    this.response = response;
  }

  function retryText(problem) {
    var wait = problem.response && problem.response.headers.get("Retry-After");
    return wait ? problem.message + " Please try again in " + wait + " seconds." : problem.message;
  }

  function api(method, path, body, headers) {
    var init = { method: method, headers: Object.assign({ Accept: "application/json" }, headers) };
    var session = sessionStorage.getItem(SESSION);
    if (session) init.headers.Authorization = "Bearer " + session;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = type.indexOf("json") >= 0 ? response.json() : Promise.resolve(null);
      return read.then(function (data) {
        if (response.ok) return { data: data, response: response };
        var error = (data && data.error) || {};
        throw new Problem(response.status, error.message || "Something went wrong; please retry.",
          error.fields, response);
      });
    }, function () {
      throw new Problem(0, "We could not reach the server. Check your connection and retry.");
    });
  }

  // --- signing in ---------------------------------------------------------------------------

  function showSignIn() {
    $("account").hidden = true;
    $("sign-in").hidden = false;
  }

  function signOut(message) {
    sessionStorage.removeItem(SESSION);
    state.account = state.etag = null;
    showSignIn();
    say(message);
  }

  $("link-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("link-email");
    var button = event.target.querySelector("button");
    button.disabled = true;
    api("POST", "account/link", { email: input.value }).then(function (result) {
      say(result.data.message);
    }, function (problem) {
      complain(problem.status === 429 ? retryText(problem) : (problem.fields.email || problem.message));
      input.focus();
    }).then(function () { button.disabled = false; });
  });

  $("sign-out").addEventListener("click", function () { signOut("You are signed out."); });

  // --- showing the account --------------------------------------------------------------------

  function fieldId(section, name) { return "field-" + section + "-" + name; }

  function errorSlot(key) {
    return el("p", { className: "field-error", id: "error-" + key.replace(/[^a-z0-9_-]/gi, "-") });
  }

  function control(section, spec, value) {
    var id = fieldId(section, spec.name);
    var key = section + "." + spec.name;
    var wrap = el("div", { className: "field", "data-field": key });
    if (spec.type === "multi_choice") {
      var chosen = value || [];
      var group = el("fieldset", { className: "group", "data-field": key }, [
        el("legend", { text: spec.label })]);
      spec.choices.forEach(function (choice, index) {
        var boxId = id + "-" + index;
        group.appendChild(el("div", { className: "choice" }, [
          el("input", { type: "checkbox", id: boxId, name: key, value: choice,
            checked: chosen.indexOf(choice) >= 0 }),
          el("label", { htmlFor: boxId, text: choice })]));
      });
      group.appendChild(errorSlot(key));
      return group;
    }
    if (spec.type === "checkbox") {
      wrap.className = "field checkbox";
      wrap.appendChild(el("input", { type: "checkbox", id: id, name: key, checked: value === true }));
      wrap.appendChild(el("label", { htmlFor: id, text: spec.label }));
      wrap.appendChild(errorSlot(key));
      return wrap;
    }
    wrap.appendChild(el("label", { htmlFor: id, text: spec.label }));
    var input;
    if (spec.type === "choice") {
      input = el("select", { id: id, name: key }, [el("option", { value: "", text: "—" })]);
      spec.choices.forEach(function (choice) {
        input.appendChild(el("option", { value: choice, text: choice, selected: value === choice }));
      });
    } else if (spec.type === "textarea") {
      input = el("textarea", { id: id, name: key, maxLength: spec.max_length, value: value || "" });
    } else {
      var types = { phone: "tel", name: "text", text: "text", date: "date" };  // YYYY-MM-DD
      input = el("input", { id: id, name: key, type: types[spec.type] || "text",
        maxLength: spec.max_length, value: value || "" });
      if (spec.type === "name") input.setAttribute("autocomplete", "given-name");
    }
    if (spec.required) input.required = true;
    wrap.appendChild(input);
    wrap.appendChild(errorSlot(key));
    return wrap;
  }

  function renderFields(container, section, specs, values) {
    container.replaceChildren();
    specs.forEach(function (spec) { container.appendChild(control(section, spec, values[spec.name])); });
    container.closest("fieldset").hidden = specs.length === 0 && section === "interests";
  }

  function renderTopics(account) {
    var container = $("topic-fields");
    container.replaceChildren();
    account.topics.forEach(function (topic) {
      var id = "topic-" + topic.id;
      var label = el("label", { htmlFor: id }, [document.createTextNode(topic.label)]);
      if (topic.description) {
        label.appendChild(el("span", { className: "topic-description", text: topic.description }));
      }
      container.appendChild(el("div", { className: "choice", "data-field": "topics." + topic.id }, [
        el("input", { type: "checkbox", id: id, name: "topics", value: topic.id,
          checked: topic.subscribed }), label]));
    });
    container.appendChild(errorSlot("topics"));
    var consent = account.schema.consent;
    $("topics-consent").textContent = consent ? consent.text : "";
  }

  var STATUS = {
    subscribed: "You receive the topics ticked below.",
    pending: "Your subscription is not confirmed yet: tick a topic and save to receive it.",
    unsubscribed: "You are unsubscribed from all our mail. Tick a topic and save to subscribe again."
  };

  function renderConsents(account) {
    var list = $("consent-list");
    list.replaceChildren();
    account.consents.forEach(function (consent) {
      var where = consent.source === "preference_center" ? "this page" : "form " + (consent.form_id || "");
      var line = consent.given_at + " (" + where + (consent.confirmed_at ? ", confirmed" : "") + "): ";
      list.appendChild(el("li", { text: line + (consent.text || "") }));
    });
    if (!account.consents.length) list.appendChild(el("li", { text: "No consent on record." }));
    var other = $("other-list");
    other.replaceChildren();
    Object.keys(account.other).forEach(function (name) {
      var value = account.other[name];
      other.appendChild(el("dt", { text: name }));
      other.appendChild(el("dd", { text: Array.isArray(value) ? value.join(", ") : String(value) }));
    });
    $("other-data").hidden = Object.keys(account.other).length === 0;
  }

  function render(account) {
    state.account = account;
    $("sign-in").hidden = true;
    $("account").hidden = false;
    $("account-email").textContent = account.email;
    $("account-status").textContent = STATUS[account.status] || "";
    $("field-email").value = account.email;
    var pending = $("pending-email");
    pending.hidden = !account.pending_email;
    pending.textContent = account.pending_email
      ? "Waiting for confirmation of " + account.pending_email + " (see the mail we sent there)."
      : "";
    renderFields($("profile-fields"), "profile", account.schema.profile, account.profile);
    renderFields($("interest-fields"), "interests", account.schema.interests, account.interests);
    renderTopics(account);
    renderConsents(account);
    $("stop-all").hidden = account.status === "unsubscribed";  // its heading goes with it
  }

  function load(message) {
    return api("GET", "account").then(function (result) {
      state.etag = result.response.headers.get("ETag");
      render(result.data);
      if (message) say(message);
    }, function (problem) {
      if (problem.status === 401) signOut();
      complain(problem.message);
    });
  }

  // --- changing it ----------------------------------------------------------------------------

  function clearFieldErrors() {
    document.querySelectorAll(".field-error").forEach(function (slot) { slot.textContent = ""; });
    document.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
  }

  function showFieldErrors(fields) {
    var first = null;
    Object.keys(fields).forEach(function (key) {
      var slot = $("error-" + key.replace(/[^a-z0-9_-]/gi, "-")) || $("error-topics");
      var parts = key.split(".");
      var input = key === "email" ? $("field-email") : $(fieldId(parts[0], parts[1] || ""));
      if (!slot && key === "email") slot = $("email-help");
      if (slot) slot.textContent = (slot.textContent ? slot.textContent + " " : "") + fields[key];
      if (input && slot) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", slot.id);
      }
      first = first || input;
    });
    if (first) first.focus();
  }

  function valueOf(section, spec) {
    var key = section + "." + spec.name;
    if (spec.type === "multi_choice") {
      return Array.prototype.map.call(
        document.querySelectorAll("input[name='" + key + "']:checked"),
        function (box) { return box.value; });
    }
    var input = $(fieldId(section, spec.name));
    return spec.type === "checkbox" ? input.checked : input.value;
  }

  function changes() {
    var account = state.account;
    var body = { profile: {}, interests: {}, topics: {}, email: $("field-email").value };
    account.schema.profile.forEach(function (spec) { body.profile[spec.name] = valueOf("profile", spec); });
    account.schema.interests.forEach(function (spec) {
      body.interests[spec.name] = valueOf("interests", spec);
    });
    account.topics.forEach(function (topic) { body.topics[topic.id] = $("topic-" + topic.id).checked; });
    return body;
  }

  function patch(body, button) {
    clearFieldErrors();
    button.disabled = true;
    return api("PATCH", "account", body, { "If-Match": state.etag }).then(function (result) {
      return load(result.data.message);
    }, function (problem) {
      if (problem.status === 412) {
        return load().then(function () {
          complain(problem.message + " We loaded the current details; please make your change again.");
        });
      }
      if (problem.status === 401) { signOut(); complain(problem.message); return; }
      complain(problem.message);
      showFieldErrors(problem.fields);
    }).then(function () { button.disabled = false; });
  }

  $("preferences-form").addEventListener("submit", function (event) {
    event.preventDefault();
    patch(changes(), $("save"));
  });

  $("unsubscribe-all").addEventListener("click", function (event) {
    patch({ subscribed: false }, event.target);
  });

  $("export").addEventListener("click", function (event) {
    var button = event.target;
    button.disabled = true;
    api("GET", "account/export").then(function (result) {
      var disposition = result.response.headers.get("Content-Disposition") || "";
      var name = (disposition.match(/filename="([^"]+)"/) || [])[1] || "my-data.json";
      var blob = new Blob([JSON.stringify(result.data, null, 2)], { type: "application/json" });
      var link = el("a", { href: URL.createObjectURL(blob), download: name });
      document.body.appendChild(link);
      link.click();
      link.remove();
      say("Your data was downloaded as " + name + ".");
    }, function (problem) {
      if (problem.status === 401) signOut();
      complain(problem.message);
    }).then(function () { button.disabled = false; });
  });

  $("erase").addEventListener("click", function (event) {
    if (!$("erase-confirm").checked) {
      complain("Tick the box to confirm that you want everything erased.");
      $("erase-confirm").focus();
      return;
    }
    var button = event.target;
    button.disabled = true;
    api("DELETE", "account", { confirm: "erase" }).then(function (result) {
      sessionStorage.removeItem(SESSION);
      showSignIn();
      $("sign-in").hidden = true;
      say(result.data.message);
    }, function (problem) {
      if (problem.status === 401) signOut();
      complain(problem.message);
    }).then(function () { button.disabled = false; });
  });

  // --- arriving from a mail -------------------------------------------------------------------

  function signedIn() { return !!sessionStorage.getItem(SESSION); }

  function showMailed() {
    $("link-sign-in").hidden = !mailed.token;
    $("email-confirm").hidden = !mailed.verify;
    if (mailed.token) $("sign-in").hidden = true;
  }

  // A refusal says the token is spent, expired or wrong: its button goes. A network failure,
  // a 429 or a 5xx may pass: the button stays for another try.
  function final(problem) { return problem.status >= 400 && problem.status < 500 && problem.status !== 429; }

  $("use-link").addEventListener("click", function (event) {
    var button = event.target;
    button.disabled = true;
    api("POST", "account/session", { token: mailed.token }).then(function (result) {
      sessionStorage.setItem(SESSION, result.data.session);
      mailed.token = null;
      showMailed();
      say("");
      return load();
    }, function (problem) {
      if (final(problem)) {
        mailed.token = null;
        sessionStorage.removeItem(SESSION);
        showMailed();
        showSignIn();
      }
      complain(problem.message);
    }).then(function () { button.disabled = false; });
  });

  $("confirm-email").addEventListener("click", function (event) {
    var button = event.target;
    button.disabled = true;
    api("POST", "account/email/confirm", { token: mailed.verify }).then(function (result) {
      mailed.verify = null;
      showMailed();
      if (signedIn()) return load(result.data.message);
      say(result.data.message + (mailed.token ? "" : " Sign in to see your preferences."));
    }, function (problem) {
      if (final(problem)) { mailed.verify = null; showMailed(); }
      complain(problem.message);
    }).then(function () { button.disabled = false; });
  });

  function start() {
    var params = new URLSearchParams(location.hash.slice(1));
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    mailed.token = params.get("token") || mailed.token;
    mailed.verify = params.get("verify_email") || mailed.verify;
    var arriving = mailed.token || mailed.verify;
    if (signedIn() && !mailed.token) {
      load();
    } else {
      showSignIn();
    }
    showMailed();
    if (arriving) $(mailed.verify ? "confirm-email" : "use-link").focus();
  }

  // A link pasted into this very tab changes only the fragment: no reload, so act on it here.
  window.addEventListener("hashchange", start);
  start();
})();
