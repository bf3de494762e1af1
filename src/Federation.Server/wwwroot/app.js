// The console's shell: a hash router that shows one page module at a time in <main id="page">.
// A page module exports default { title, nav, render(main, ctx) } where render may return a cleanup function
// (called when the viewer leaves the page: close streams, stop timers).

import { h, replace } from './dom.js';
import { onStatus, subscribe } from './live.js';

const routes = [
  { pattern: /^\/$/, module: './pages/megaregion.js' },
  { pattern: /^\/jobs$/, module: './pages/jobs.js' },
  { pattern: /^\/jobs\/new$/, module: './pages/submit.js' },
  { pattern: /^\/jobs\/(?<id>[^/]+)$/, module: './pages/job.js' },
  { pattern: /^\/regions$/, module: './pages/regions.js' },
  { pattern: /^\/regions\/(?<id>[^/]+)$/, module: './pages/region.js' },
  { pattern: /^\/whatif$/, module: './pages/whatif.js' },
];

const main = document.getElementById('page');
let cleanup = null;
let generation = 0;

/** Goes to a console address ("#/jobs/abc"); pages call it after a submit or a cancel. */
export function navigate(hash) {
  if (location.hash === hash) show();
  else location.hash = hash;
}

async function show() {
  const mine = ++generation;
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search] = raw.split('?');
  const route = routes.find((r) => r.pattern.test(path));
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
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
    replace(main, h('h1', {}, 'This page could not be shown'), h('p', { role: 'alert', class: 'error' }, String(e.message ?? e)));
  }
  // Focus moves to the page on navigation (not on the first load), so keyboard and screen-reader users start there.
  if (shown++) main.focus({ preventScroll: true });
}
let shown = 0;

const status = document.getElementById('live-status');
onStatus((state, text) => {
  status.textContent = text;
  status.dataset.state = state;
});

// The live feed stays open on every page, so the status in the header always says whether the console is current.
subscribe(() => {});

window.addEventListener('hashchange', show);
show();
