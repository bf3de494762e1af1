// One server-sent event stream (/api/live) shared by every page: the megaregion and its regions as they change.

const listeners = new Set();
let source = null;
let last = null;
let status = 'connecting';
const statusListeners = new Set();

function setStatus(s, text) {
  status = s;
  for (const l of statusListeners) l(s, text);
}

function open() {
  if (source) return;
  source = new EventSource('api/live');
  source.addEventListener('open', () => setStatus('live', 'live'));
  source.addEventListener('snapshot', (e) => {
    last = JSON.parse(e.data);
    setStatus('live', 'live');
    for (const l of listeners) l(last);
  });
  source.addEventListener('problem', (e) => {
    const p = JSON.parse(e.data);
    setStatus('problem', p.title ?? 'problem');
  });
  // EventSource reconnects by itself (the server's retry: interval); say so meanwhile.
  source.addEventListener('error', () => setStatus('reconnecting', 'reconnecting…'));
}

/** Calls `listener(snapshot)` now (if one arrived) and on every new snapshot; returns the unsubscribe function. */
export function subscribe(listener) {
  open();
  listeners.add(listener);
  if (last) listener(last);
  return () => listeners.delete(listener);
}

/** The latest snapshot, or null before the first. */
export const latest = () => last;

/** Calls `listener(status, text)` on every change of the connection's state. */
export function onStatus(listener) {
  statusListeners.add(listener);
  listener(status, status === 'live' ? 'live' : 'connecting…');
  return () => statusListeners.delete(listener);
}
