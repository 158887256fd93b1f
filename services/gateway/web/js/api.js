// The JSON API under /api/v1, with the signed-in person's tokens.
// Tokens live in sessionStorage: they end with the browser tab, and no other site can read them.
import { explain, NETWORK_ERROR } from "./messages.js";

const KEY = "thidua.session";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || NETWORK_ERROR);
    this.status = status;
    this.code = error.code || (status ? "HTTP_" + status : "NETWORK");
    this.details = error.details || {};
    this.correlationId = error.correlation_id;
  }
  get text() {
    return explain(this);
  }
}

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
}

export function saveSession(value) {
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
  else sessionStorage.removeItem(KEY);
}

async function send(method, path, body, options) {
  const current = session();
  const headers = { ...(options.headers || {}) };
  // anonymous: a secret ballot goes with its one-time token, never with the person's credential.
  if (current && current.access_token && !options.anonymous) headers.Authorization = `Bearer ${current.access_token}`;
  let payload;
  if (body instanceof Blob) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (method === "POST" && options.once !== false) headers["Idempotency-Key"] = crypto.randomUUID();
  try {
    return await fetch(`/api/v1${path}`, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, null);
  }
}

async function refresh() {
  const current = session();
  if (!current || !current.refresh_token) return false;
  const response = await send("POST", "/auth/refresh", { refresh_token: current.refresh_token }, { once: false });
  if (!response.ok) return false;
  saveSession({ ...current, ...(await response.json()) });
  return true;
}

export async function api(method, path, body, options = {}) {
  let response = await send(method, path, body, options);
  if (response.status === 401 && session() && (await refresh())) response = await send(method, path, body, options);
  if (response.status === 401 && session() && !options.quiet401) {
    saveSession(null);
    location.assign(`/dang-nhap?tiep=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (options.raw && response.ok) return response;
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body === undefined ? {} : body);
export const put = (path, body) => api("PUT", path, body);

// A file of the API (an evidence file, the ranking as Excel), fetched with the token: a plain link
// cannot send it. Saved under the name the gateway gives it.
export async function download(path) {
  const response = await api("GET", path, undefined, { raw: true });
  const named = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: named ? decodeURIComponent(named[1]) : "" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
