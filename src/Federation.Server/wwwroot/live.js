// One server-sent event stream (/api/live) shared by every page: the megaregion and its regions as they change.
// EventSource cannot send a header, so the tab's token goes in the stream's address (`access_token`), the one address
// the server takes it from.

import { token } from './api.js';

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
  const bearer = token();
  if (source || !bearer) return;
  source = new EventSource(`api/live?access_token=${encodeURIComponent(bearer)}`);
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
  // EventSource reconnects by itself (the server's retry: interval); say so meanwhile. An answer that is not a stream
  // (401 for a token that expired or was revoked) closes it for good.
  source.addEventListener('error', () => {
    if (source?.readyState === EventSource.CLOSED) setStatus('closed', 'disconnected');
    else setStatus('reconnecting', 'reconnecting…');
  });
}

/** Closes the stream (signing out) and opens it again with the tab's token when anyone listens (signing in). */
export function restart() {
  source?.close();
  source = null;
  last = null;
  if (token()) {
    setStatus('connecting', 'connecting…');
    if (listeners.size) open();
  } else {
    setStatus('signed-out', 'signed out');
  }
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
