// #/audit: the audit table, newest first, a page at a time: who changed what, in which role, from where, and the target
// before and after. The filters live in the hash's query (a search is a link); pages are keyset pages of
// GET /api/audit (`before` = the previous page's `nextBefore`). The server decides what the caller may read: a
// coordinator all of it, an operator their region's entries, a researcher nothing (a 403 the page shows).

import { api, query } from '../api.js';
import { h, replace } from '../dom.js';
import { field } from '../forms.js';
import { timeElement, timeZone, number } from '../format.js';
import { jobHref, regions } from '../jobs-common.js';
import { DEFAULT_LIMIT, cursorTrail, filterSelect, filterText, onSearch, pageSizeSelect, pager, showListFailure } from '../listing.js';

/** Every action the audit table records (GET /api/audit's `action` filter takes these). */
const ACTIONS = [
  'job.submit', 'job.cancel', 'job.move',
  'region.offer', 'region.drain',
  'token.issue', 'token.revoke',
  'residency.set', 'residency.delete',
  'project.allocation', 'project.priority', 'project.return',
];

const trail = cursorTrail();

export default {
  title: 'Audit',
  nav: 'audit',
  async render(main, { query: q, navigate, isCurrent }) {
    const search = {
      actor: q.get('actor') ?? '',
      region: q.get('region') ?? '',
      target: q.get('target') ?? '',
      action: q.get('action') ?? '',
      limit: q.get('limit') ?? DEFAULT_LIMIT,
    };
    const before = q.get('before') ?? '';
    const { index, known } = trail.locate(JSON.stringify(search), before);

    const regionList = await regions();
    if (!isCurrent()) return;

    const href = (cursor) => '#/audit' + query({ ...search, limit: search.limit === DEFAULT_LIMIT ? '' : search.limit, before: cursor });

    const form = filterForm(search, regionList, (values) => navigate('#/audit' + query(values)));
    const status = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' }, 'Loading…');
    const results = h('div', { class: 'list-results', 'aria-busy': 'true' });
    main.append(
      h('div', { class: 'page-head' }, h('h1', {}, 'Audit')),
      h('p', { class: 'lede muted' }, 'Every change to jobs, regions, projects, tokens and residency classes, newest first: who made it, in which role, from where, and what it changed. Coordinators read all of it; an operator reads their region\u2019s entries.'),
      form,
      h('h2', { class: 'visually-hidden' }, 'Entries'),
      status,
      results);

    let page;
    try {
      page = await api.get('api/audit' + query({ ...search, before }));
    } catch (error) {
      if (!isCurrent()) return;
      // A 403 names what the caller's role lacks: `Authorization` (a researcher) or `region` (an operator's other region).
      showListFailure(error, { form, status, results, refused: 'No entries: the search was refused.' });
      return;
    }
    if (!isCurrent()) return;

    trail.advance(index, page.nextBefore);

    // The API counts nothing (keyset pages): the status says which entries these are, and whether older ones follow.
    const count = page.entries.length;
    const first = index * Number(search.limit) + 1;
    replace(status, count === 0 ? 'No entries.'
      : index === 0 && known && !page.nextBefore ? h('strong', {}, `${number(count)} ${count === 1 ? 'entry' : 'entries'}`)
      : known ? [h('strong', {}, `Entries ${number(first)}–${number(first + count - 1)}`), ` · page ${index + 1}`, page.nextBefore ? ' · older entries follow' : ' · the oldest']
      : [h('strong', {}, `${number(count)} ${count === 1 ? 'entry' : 'entries'}`), ` before #${before}`, page.nextBefore ? ' · older entries follow' : ' · the oldest']);

    results.removeAttribute('aria-busy');
    if (count === 0) {
      const filtered = Object.entries(search).some(([k, v]) => k !== 'limit' && v !== '');
      results.append(h('p', { class: 'empty' }, index > 0 || before
        ? 'No older entries match this search.'
        : filtered ? 'No audit entry matches this search.' : 'No change has been recorded yet: every submission, cancel, move, offer, drain, token, residency class and allocation change adds an entry.'));
    } else {
      results.append(table(page.entries));
    }

    const previous = trail.previous(index);
    results.append(pager({
      previous: previous === null ? null : href(previous),
      next: page.nextBefore ? href(String(page.nextBefore)) : null,
      start: !known || index > 1 ? href('') : null,
      startText: 'Newest entries',
    }, timeZone));
  },
};

function filterForm(search, regionList, go) {
  const select = filterSelect;
  const text = filterText;
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search the audit table' },
    h('div', { class: 'row' },
      field({ label: 'Actor' }, text('audit-actor', 'actor', search.actor, 'a subject, or system')),
      field({ label: 'Region' }, select('audit-region', 'region', search.region, regionList.map((r) => ({ value: r.id, label: r.id })), 'Any region')),
      field({ label: 'Target' }, text('audit-target', 'target', search.target, 'job/00123, region/daegu')),
      field({ label: 'Action' }, select('audit-action', 'action', search.action, ACTIONS.map((a) => ({ value: a, label: a })), 'Any action')),
      field({ label: 'Page size' }, pageSizeSelect('audit-limit', search.limit)),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, 'Search'),
        h('a', { href: '#/audit', class: 'button secondary' }, 'Clear'))));
  onSearch(form, go);
  return form;
}

function table(entries) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'audit-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Time'),
        h('th', { scope: 'col' }, 'Actor'),
        h('th', { scope: 'col' }, 'Action'),
        h('th', { scope: 'col' }, 'Target'),
        h('th', { scope: 'col' }, 'Region'),
        h('th', { scope: 'col' }, 'From'),
        h('th', { scope: 'col' }, 'Change'))),
      h('tbody', {}, entries.map((e) => h('tr', { 'data-sequence': e.sequence },
        h('td', { class: 'nowrap' }, timeElement(h, e.at)),
        h('td', {}, h('span', { 'data-field': 'actor' }, e.actor), ' ', h('span', { class: 'role', 'data-field': 'role' }, e.role)),
        h('td', { class: 'mono nowrap' }, e.action),
        h('td', { class: 'mono' }, targetLink(e.target)),
        h('td', {}, e.region ?? '—'),
        h('td', { class: 'mono' }, e.origin ?? '—'),
        h('td', { class: 'change' }, change(e.before, e.after), e.detail ? h('p', { class: 'why' }, e.detail) : null))))));
}

/** A job or region target as a link to its page; any other kind (project, token, residency) as text. */
function targetLink(target) {
  const slash = target.indexOf('/');
  const kind = slash < 0 ? '' : target.slice(0, slash);
  const id = target.slice(slash + 1);
  if (kind === 'job') return h('a', { href: jobHref(id) }, target);
  if (kind === 'region') return h('a', { href: `#/regions/${encodeURIComponent(id)}` }, target);
  return target;
}

/**
 * The target before → after, compactly: for two JSON objects, the fields that changed, each old → new; otherwise (a
 * creation, a removal, text that is not an object) the two texts whole. Everything is text in <code>, never markup.
 */
function change(before, after) {
  if (before === null && after === null) return '—';
  const a = parseObject(before);
  const b = parseObject(after);
  if (a && b) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (keys.length === 0) return h('span', { class: 'muted' }, 'no change to its state');
    return h('ul', { class: 'changes' }, keys.map((k) => h('li', {},
      h('span', { class: 'key' }, k), ': ',
      k in a ? h('code', {}, JSON.stringify(a[k])) : h('span', { class: 'muted' }, '(none)'),
      ' → ',
      k in b ? h('code', {}, JSON.stringify(b[k])) : h('span', { class: 'muted' }, '(none)'))));
  }
  return h('p', { class: 'whole' },
    before === null ? h('span', { class: 'muted' }, '(none)') : h('code', {}, before),
    ' → ',
    after === null ? h('span', { class: 'muted' }, '(none)') : h('code', {}, after));
}

/** JSON text as an object, or null when it is none (null, unreadable, an array or a scalar). */
function parseObject(text) {
  if (text === null || text === undefined) return null;
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
