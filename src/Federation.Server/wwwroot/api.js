// The REST API as the console calls it. Every error is the API's own RFC 7807 problem details, kept whole so a
// page can show each field's message beside that field.

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

async function call(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined || body instanceof FormData ? { Accept: 'application/json', ...headers } : { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { title: 'The server could not be reached.', detail: String(e.message ?? e) });
  }
  const type = response.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, typeof data === 'object' ? data : { title: `HTTP ${response.status}`, detail: String(data).slice(0, 300) });
    error.retryAfter = response.headers.get('Retry-After');
    throw error;
  }
  return { status: response.status, data, headers: response.headers };
}

export const api = {
  get: async (path) => (await call('GET', path)).data,
  post: (path, body, headers) => call('POST', path, body, headers),
  put: (path, body, headers) => call('PUT', path, body, headers),
  delete: (path) => call('DELETE', path),
};

/** Query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
