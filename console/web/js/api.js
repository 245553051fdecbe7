// api.js: the one place that talks to the console JSON API. Same-origin only,
// session cookie sent automatically, X-CSRF-Token on every call once logged
// in: the server refuses a call whose token belongs to another session than
// the cookie (a cookie planted by another site on this host), so this page
// never acts in a session it did not log in with.

let token = '';
let onUnauthorized = null;

// ApiError is a failed API call: status 0 means the server was unreachable.
export class ApiError extends Error {
  constructor(status, message, data) {
    super(message);
    this.status = status;
    this.data = data || {};
  }
}

// setCsrfToken stores the session's CSRF token (from /api/login or /api/session).
export function setCsrfToken(t) {
  token = t || '';
}

// csrfToken is the token to send on requests made outside api() (uploads).
export function csrfToken() {
  return token;
}

// setUnauthorizedHandler registers what to do when the session has expired
// or changed; the handler gets the ApiError.
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

const friendly = {
  401: 'Your session has ended. Please log in again.',
  403: 'You are not allowed to do that.',
  429: 'Too many attempts. Wait a minute and try again.',
  500: 'The server hit an internal error. Try again; if it persists, tell your operator.',
  503: 'The storage service is not ready (not enough drives online). Try again shortly.',
};

// api calls method path with an optional JSON body and returns the decoded
// JSON response (or null for 204). It throws ApiError with the server's own
// message on failure.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers['X-CSRF-Token'] = token;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Cannot reach the Coffer server. Check your connection and try again.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const msg = (data && typeof data.error === 'string' && data.error) || friendly[res.status] || `Request failed (${res.status} ${res.statusText}).`;
    const err = new ApiError(res.status, msg, data);
    if (res.status === 401 && path !== '/api/login' && path !== '/api/me' && path !== '/api/session' && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  return data;
}

// enc escapes one path segment.
export const enc = encodeURIComponent;
