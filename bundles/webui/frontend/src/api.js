// The server's APIs with the API key the user gave (kept in this browser's localStorage).
const KEY = 'osprey.apiKey';
const listeners = new Set();

export function apiKey() {
  return localStorage.getItem(KEY) || '';
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

/** Called with true when the server refused the key (or wants one), so the app asks for it. */
export function onKeyNeeded(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function headers(extra) {
  const h = { ...extra };
  const key = apiKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.param = body?.error?.param;
  }
}

export async function call(method, path, body, signal) {
  const raw = body instanceof Blob; // a file (a plugin jar) goes as it is
  const response = await fetch(path, {
    method,
    signal,
    headers: headers(body === undefined ? {} : { 'Content-Type': raw ? body.type || 'application/octet-stream' : 'application/json' }),
    body: body === undefined || raw ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: { message: text } };
  }
  if (response.status === 401) listeners.forEach((l) => l(true));
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export const get = (path, signal) => call('GET', path, undefined, signal);
export const post = (path, body) => call('POST', path, body);
export const del = (path) => call('DELETE', path);

/**
 * Reads a server-sent event stream with fetch (EventSource cannot send the Authorization header),
 * calling onEvent(name, data, id) for each event until the stream ends or signal aborts.
 */
export async function streamEvents(path, body, onEvent, signal) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    signal,
    headers: headers(body === undefined ? { Accept: 'text/event-stream' } : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) listeners.forEach((l) => l(true));
  if (!response.ok) {
    let json = null;
    try {
      json = await response.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, json);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = val;
        else if (field === 'id') id = val;
        else if (field === 'data') data.push(val);
      }
      if (data.length) onEvent(name, data.join('\n'), id);
    }
  }
}
