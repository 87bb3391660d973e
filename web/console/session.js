/* Signing in to the stack's Cognito user pool, straight from the browser (the password goes to
   Cognito over TLS, never to the API): InitiateAuth USER_PASSWORD_AUTH, the challenges of a
   first sign-in (a new password) and of TOTP MFA, REFRESH_TOKEN_AUTH five minutes before the
   tokens expire, GlobalSignOut on sign-out. Tokens live in this module and in sessionStorage
   (this tab only, gone when it closes); never in a URL, a cookie or a log. */

const KEY = "ecrm-console-session";
const REFRESH_BEFORE_MS = 5 * 60 * 1000;
const TARGET = "AWSCognitoIdentityProviderService.";
const ROLES = [["admins", "admin"], ["marketers", "marketer"], ["viewers", "viewer"]];

let config = null;
let tokens = null; // { id, access, refresh, expiresAt }
let timer = null;
let refreshing = null;
let signingIn = null;
const listeners = [];

export async function loadConfig() {
  const answer = await fetch("config.json", { cache: "no-store", credentials: "omit" });
  if (!answer.ok) throw new Error("The console has no config.json: see docs/console.md.");
  config = await answer.json();
  return config;
}

/** A value of config.json (e.g. `form_script`, `form_api`), or undefined. */
export function setting(name) {
  return config ? config[name] : undefined;
}

export function apiBase() {
  return (config && config.api) || "";
}

export function onChange(listener) {
  listeners.push(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

export class CognitoError extends Error {
  constructor(type, message) {
    super(message || type);
    this.type = type;
  }
}

async function cognito(action, body) {
  let answer;
  try {
    answer = await fetch(config.cognito_endpoint.replace(/\/+$/, "") + "/", {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + action },
      body: JSON.stringify(body),
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new CognitoError("Unreachable", "Cognito did not answer; check the connection and retry.");
  }
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new CognitoError(String(data.__type || "").split("#").pop(), data.message);
  return data;
}

function keep(result, refreshToken) {
  tokens = {
    id: result.IdToken,
    access: result.AccessToken,
    refresh: result.RefreshToken || refreshToken,
    expiresAt: Date.now() + Number(result.ExpiresIn || 3600) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(tokens));
  schedule();
  changed();
}

function schedule() {
  clearTimeout(timer);
  if (!tokens) return;
  const wait = Math.max(0, tokens.expiresAt - REFRESH_BEFORE_MS - Date.now());
  timer = setTimeout(() => refresh().catch(() => {}), wait);
}

export function forget() {
  clearTimeout(timer);
  tokens = null;
  sessionStorage.removeItem(KEY);
  changed();
}

export function restore() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (kept && kept.id && kept.refresh) tokens = kept;
  } catch {
    sessionStorage.removeItem(KEY);
  }
  schedule();
}

export function signedIn() {
  return tokens !== null;
}

/** New tokens from the refresh token (one request however many callers ask at once). */
export function refresh() {
  if (!tokens) return Promise.reject(new CognitoError("SignedOut", "Signed out."));
  if (!refreshing) {
    const refreshToken = tokens.refresh;
    refreshing = cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: config.client_id,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    })
      .then((data) => keep(data.AuthenticationResult, refreshToken))
      .catch((error) => {
        forget();
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** The ID token for the API (what API Gateway's Cognito authorizer takes), fresh. */
export async function idToken(reason) {
  if (tokens && tokens.expiresAt - Date.now() < 60 * 1000) await refresh().catch(() => {});
  if (!tokens) await signIn(reason);
  return tokens.id;
}

/** The signed-in user as the ID token says (for the screens only: the API decides). */
export function identity() {
  if (!tokens) return null;
  const part = tokens.id.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  const groups = [].concat(claims["cognito:groups"] || []);
  const role = (ROLES.find(([group]) => groups.includes(group)) || [null, "none"])[1];
  return { email: String(claims.email || claims["cognito:username"] || ""), role };
}

export async function signOut() {
  const access = tokens && tokens.access;
  forget();
  // Revokes every refresh token of the user (RevokeToken would revoke this one only, but
  // needs the refresh token sent again and moto does not implement it).
  if (access) await cognito("GlobalSignOut", { AccessToken: access }).catch(() => {});
}

/** Show the sign-in dialog (modal: the screen behind keeps what was typed) until signed in. */
export function signIn(reason = "") {
  if (!signingIn) {
    signingIn = new Promise((resolve) => dialogFlow(reason, resolve)).finally(() => {
      signingIn = null;
    });
  }
  return signingIn;
}

const CHALLENGES = {
  NEW_PASSWORD_REQUIRED: ["Choose a new password (12 characters or more)", "NEW_PASSWORD", "password", "new-password"],
  SOFTWARE_TOKEN_MFA: ["Code from your authenticator app", "SOFTWARE_TOKEN_MFA_CODE", "text", "one-time-code"],
};

function dialogFlow(reason, done) {
  const dialog = document.getElementById("sign-in");
  const form = document.getElementById("sign-in-form");
  const error = document.getElementById("sign-in-error");
  const email = document.getElementById("email");
  const password = document.getElementById("password");
  const challengeBox = document.getElementById("challenge");
  const answerInput = document.getElementById("challenge-answer");
  let challenge = null;

  document.getElementById("sign-in-reason").textContent = reason;
  error.textContent = "";
  password.value = "";
  challengeBox.hidden = true;
  document.getElementById("credentials").hidden = false;

  const cancel = (event) => event.preventDefault(); // Escape cannot skip signing in
  const finish = (result, refreshToken) => {
    keep(result, refreshToken);
    form.removeEventListener("submit", submit);
    dialog.removeEventListener("cancel", cancel);
    password.value = answerInput.value = "";
    dialog.close();
    done();
  };
  const ask = (data) => {
    const known = CHALLENGES[data.ChallengeName];
    if (!known) {
      throw new CognitoError(data.ChallengeName, "This account needs a step the console cannot do yet: run `ecrm login` once.");
    }
    challenge = { name: data.ChallengeName, session: data.Session, username: (data.ChallengeParameters || {}).USERNAME || email.value.trim(), key: known[1] };
    document.getElementById("credentials").hidden = true;
    document.getElementById("challenge-label").textContent = known[0];
    answerInput.type = known[2];
    answerInput.autocomplete = known[3];
    answerInput.value = "";
    challengeBox.hidden = false;
    answerInput.focus();
  };
  async function submit(event) {
    event.preventDefault();
    error.textContent = "";
    try {
      let data;
      if (challenge) {
        data = await cognito("RespondToAuthChallenge", {
          ChallengeName: challenge.name,
          ClientId: config.client_id,
          Session: challenge.session,
          ChallengeResponses: { USERNAME: challenge.username, [challenge.key]: answerInput.value.trim() },
        });
      } else {
        if (!email.value.trim() || !password.value) throw new CognitoError("Missing", "Type your email and password.");
        data = await cognito("InitiateAuth", {
          AuthFlow: "USER_PASSWORD_AUTH",
          ClientId: config.client_id,
          AuthParameters: { USERNAME: email.value.trim(), PASSWORD: password.value },
        });
      }
      if (data.AuthenticationResult) return finish(data.AuthenticationResult);
      ask(data);
    } catch (problem) {
      const wrong = ["NotAuthorizedException", "UserNotFoundException"].includes(problem.type);
      const disabled = wrong && /disabled/i.test(problem.message);
      error.textContent = disabled ? "This account is disabled: ask an admin to enable it."
        : wrong ? "Wrong email or password." : problem.message;
      (challenge ? answerInput : wrong ? password : email).focus();
    }
  }
  form.addEventListener("submit", submit);
  dialog.addEventListener("cancel", cancel);
  if (!dialog.open) dialog.showModal();
  (email.value ? password : email).focus();
}
