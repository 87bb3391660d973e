/* The /admin API with the signed-in user's ID token. An expired or revoked session (401) opens
   the sign-in dialog over the current screen and retries once: what was typed stays. A refusal
   carries the stable error body's code, message and fields, for the screen to show by its field. */

import { apiBase, forget, idToken, signIn } from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, fields = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

const ENDED = "Your session has ended: sign in again (what you typed is kept).";

export async function api(path, { method = "GET", body } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const token = await idToken(ENDED);
    const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch(apiBase() + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        referrerPolicy: "no-referrer",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "unreachable", "The API did not answer; check the connection and retry.");
    }
    if (answer.status === 401 && attempt === 0) {
      forget();
      await signIn(ENDED);
      continue;
    }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = data.error || {};
      throw new ApiError(answer.status, error.code || "http_" + answer.status,
        error.message || data.message || "The API answered " + answer.status + ".", error.fields || {});
    }
    return data;
  }
}
