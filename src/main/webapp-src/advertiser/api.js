// The service's advertiser API, called with the bearer token from session storage (never local storage, never a URL).
const TOKEN_KEY = 'audience-match.advertiser-token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer the page shows as is: a problem's title and detail (RFC 9457), never a stack or a value. */
export class ApiError extends Error {
  constructor(status, detail, retryAfterSeconds) {
    super(detail);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

async function problemOf(response) {
  let detail = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    detail = body.detail || body.title || detail;
  } catch {
    // not a problem body: the status line says enough
  }
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return new ApiError(response.status, detail, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

/** fetch with the token; a network failure rejects with the TypeError fetch gives, an HTTP error with ApiError. */
export async function call(method, path, { json, text, headers = {}, signal } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${token()}`, ...headers }, signal, cache: 'no-store' };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (text !== undefined) {
    init.headers['Content-Type'] = 'text/plain';
    init.body = text;
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    throw await problemOf(response);
  }
  return response.status === 204 ? null : response.json();
}

const base = '/v1';

export const api = {
  listAudiences: () => call('GET', `${base}/audiences`),
  createAudience: (body) => call('POST', `${base}/audiences`, { json: body }),
  uploadChunk: (id, digests, idempotencyKey) => call('POST', `${base}/audiences/${encodeURIComponent(id)}/members`,
    { text: digests, headers: { 'Idempotency-Key': idempotencyKey } }),
  report: (id, segments) => call('GET', `${base}/audiences/${encodeURIComponent(id)}`
    + (segments.length ? `?segments=${segments.map(encodeURIComponent).join(',')}` : '')),
  deleteAudience: (id) => call('DELETE', `${base}/audiences/${encodeURIComponent(id)}`),
  /** The privacy budget, or null where the service has none (404): reports are then exact counts. */
  budget: async () => {
    try {
      return await call('GET', `${base}/privacy/budget`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
        return null;
      }
      throw e;
    }
  },
};
