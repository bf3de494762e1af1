// The console's shell: a hash router that shows one page module at a time in <main id="page">.
// A page module exports default { title, nav, render(main, ctx) } where render may return a cleanup function
// (called when the viewer leaves the page: close streams, stop timers). Without a token, or once a call answers 401,
// the sign-in view stands in for the page; signing in shows the page the viewer asked for.

import { h, replace } from './dom.js';
import { api, ApiError, token, keepToken, forgetToken, onUnauthorized } from './api.js';
import { onStatus, restart, subscribe } from './live.js';
import { signInView } from './signin.js';

const routes = [
  { pattern: /^\/$/, module: './pages/megaregion.js' },
  { pattern: /^\/jobs$/, module: './pages/jobs.js' },
  { pattern: /^\/jobs\/new$/, module: './pages/submit.js' },
  { pattern: /^\/jobs\/(?<id>[^/]+)$/, module: './pages/job.js' },
  { pattern: /^\/regions$/, module: './pages/regions.js' },
  { pattern: /^\/regions\/(?<id>[^/]+)$/, module: './pages/region.js' },
  { pattern: /^\/whatif$/, module: './pages/whatif.js' },
  { pattern: /^\/audit$/, module: './pages/audit.js' },
];

const main = document.getElementById('page');
let cleanup = null;
let generation = 0;

/** Goes to a console address ("#/jobs/abc"); pages call it after a submit or a cancel. */
export function navigate(hash) {
  if (location.hash === hash) show();
  else location.hash = hash;
}

async function show(problem) {
  const mine = ++generation;
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search] = raw.split('?');
  const route = routes.find((r) => r.pattern.test(path));
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  if (!token()) {
    signIn(problem);
    return;
  }
  if (!route) {
    document.title = 'Not found · Megaregion Federation';
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No console page at ', h('code', {}, raw), '. ', h('a', { href: '#/' }, 'Back to the megaregion')));
    return;
  }
  const params = Object.fromEntries(Object.entries(path.match(route.pattern).groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
  let page;
  try {
    page = (await import(route.module)).default;
  } catch (e) {
    // A module that fails to load (a newer server restarted under an open tab, a network error) says so, not nothing.
    if (mine !== generation) return;
    document.title = 'Error · Megaregion Federation';
    replace(main, h('h1', {}, 'This page could not be loaded'),
      h('p', { role: 'alert', class: 'error' }, String(e.message ?? e)),
      h('p', {}, h('a', { href: location.hash || '#/', onclick: () => location.reload() }, 'Reload the console')));
    return;
  }
  if (mine !== generation) return;
  document.title = `${typeof page.title === 'function' ? page.title(params) : page.title} · Megaregion Federation`;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === page.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  replace(main);
  try {
    cleanup = await page.render(main, { params, query: new URLSearchParams(search ?? ''), navigate, isCurrent: () => mine === generation });
  } catch (e) {
    // A page signed out meanwhile (its call answered 401) left for the sign-in view.
    if (mine !== generation) return;
    replace(main, h('h1', {}, 'This page could not be shown'), h('p', { role: 'alert', class: 'error' }, String(e.message ?? e)));
  }
  // Focus moves to the page on navigation (not on the first load), so keyboard and screen-reader users start there.
  if (shown++) main.focus({ preventScroll: true });
}
let shown = 0;

/** The sign-in view in place of the page; the address stays the page's, so signing in goes on to it. */
function signIn(problem) {
  document.title = 'Sign in · Megaregion Federation';
  for (const a of document.querySelectorAll('[data-nav]')) a.removeAttribute('aria-current');
  replace(main, signInView({
    problem,
    onSignedIn: (value, me) => {
      keepToken(value);
      setWho(me);
      restart();
      show();
    },
  }));
}

// Who is signed in, in the header, with the control that forgets the token.
const whoBox = document.getElementById('who');
function setWho(me) {
  whoBox.hidden = !token();
  if (whoBox.hidden) {
    replace(whoBox);
    return;
  }
  const scope = [...(me?.projects ?? []), ...(me?.regions ?? [])].join(', ');
  replace(whoBox,
    h('span', { 'data-field': 'who' }, me
      ? [h('strong', { 'data-field': 'subject' }, me.subject), ' ', h('span', { 'data-field': 'role' }, me.role), scope ? ` of ${scope}` : '']
      : 'signed in'),
    h('button', { type: 'button', class: 'sign-out', onclick: signOut }, 'Sign out'));
}

function signOut(problem) {
  forgetToken();
  setWho(null);
  restart();
  show(problem instanceof ApiError ? problem : undefined);
}

// A token that stops working (expired, revoked) signs the tab out; the view says why.
onUnauthorized(signOut);

const status = document.getElementById('live-status');
onStatus((state, text) => {
  status.textContent = text;
  status.dataset.state = state;
  // The stream closed for good: a 401 (the token expired or was revoked) is learnt by asking, and signs the tab out.
  if (state === 'closed' && token()) api.get('api/whoami').catch(() => {});
});

// A token in the address (#token=…: a link the server printed, a test) is kept once and leaves the address bar; a token
// never goes in the query string, which servers and proxies log.
const given = /^#token=([^&]+)$/.exec(location.hash);
if (given) {
  keepToken(decodeURIComponent(given[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

async function start() {
  window.addEventListener('hashchange', () => show());
  // The live feed stays open on every page, so the status in the header always says whether the console is current.
  subscribe(() => {});
  if (!token()) {
    restart();
    show();
    return;
  }
  let me = null;
  try {
    me = await api.get('api/whoami');
  } catch (e) {
    // A 401 has signed the tab out and shown the sign-in view; a server out of reach is the pages' to say.
    if (!(e instanceof ApiError) || e.status === 401) return;
  }
  setWho(me);
  show();
}
start();
