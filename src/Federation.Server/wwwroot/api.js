// The REST API as the console calls it. Every error is the API's own RFC 7807 problem details, kept whole so a
// page can show each field's message beside that field. Every call carries the tab's access token
// (`Authorization: Bearer`), kept in sessionStorage: per tab, forgotten when the tab closes.

const TOKEN_KEY = 'federation.token';

/** The tab's access token, or null when no one is signed in. */
export const token = () => sessionStorage.getItem(TOKEN_KEY);

/** Keeps `value` as the tab's access token. */
export const keepToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);

/** Forgets the tab's access token. */
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

const unauthorizedListeners = new Set();

/** Calls `listener(error)` when a call made with the tab's token answers 401 (expired, revoked, not this server's). */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** A failed call: `status`, the problem's `title`/`detail`, and `errors` from field name to messages. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title ?? `HTTP ${status}`;
    this.detail = problem?.detail ?? '';
    this.errors = problem?.errors ?? {};
    this.retryAfter = null;
  }
}

/** A fetch of `path` with the tab's token (or `bearer`, when given); the Response as it came. */
function send(path, init = {}, bearer = token()) {
  const headers = new Headers(init.headers);
  if (bearer) headers.set('Authorization', `Bearer ${bearer}`);
  return fetch(path, { ...init, headers });
}

async function call(method, path, body, headers = {}, bearer = token()) {
  let response;
  try {
    response = await send(path, {
      method,
      headers: body === undefined || body instanceof FormData ? { Accept: 'application/json', ...headers } : { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    }, bearer);
  } catch (e) {
    throw new ApiError(0, { title: 'The server could not be reached.', detail: String(e.message ?? e) });
  }
  const type = response.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, typeof data === 'object' ? data : { title: `HTTP ${response.status}`, detail: String(data).slice(0, 300) });
    error.retryAfter = response.headers.get('Retry-After');
    // Only a refusal of the token the tab still holds signs the tab out: not a token being tried, not one replaced meanwhile.
    if (response.status === 401 && bearer && bearer === token()) for (const l of unauthorizedListeners) l(error);
    throw error;
  }
  return { status: response.status, data, headers: response.headers };
}

export const api = {
  get: async (path) => (await call('GET', path)).data,
  post: (path, body, headers) => call('POST', path, body, headers),
  put: (path, body, headers) => call('PUT', path, body, headers),
  delete: (path) => call('DELETE', path),
  /** GET /api/whoami with `candidate` (not the tab's token): who the server says holds it, or an ApiError (401). */
  whoami: async (candidate) => (await call('GET', 'api/whoami', undefined, {}, candidate)).data,
};

/** Query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
