// #/jobs: search the jobs a page at a time. The filters live in the hash's query (a search is a link, the back button
// goes back through searches and pages); pages are keyset pages of the list API (`after` = the previous page's
// `nextAfter`), so the page never asks for more than one page of jobs however many the store holds.

import { api, query } from '../api.js';
import { h, replace } from '../dom.js';
import { field } from '../forms.js';
import { timeElement, timeZone, number } from '../format.js';
import { STATES, acceleratorsText, hoursText, jobHref, regions, statePill } from '../jobs-common.js';
import { DEFAULT_LIMIT, cursorTrail, filterSelect, filterText, onSearch, pageSizeSelect, pager, showListFailure } from '../listing.js';

/** The list's orders: the API's `order` values, the first the console's default (the latest submissions first). */
const ORDERS = [{ value: 'newest', label: 'Newest first' }, { value: 'id', label: 'By id' }];
const DEFAULT_ORDER = ORDERS[0].value;

const trail = cursorTrail();

export default {
  title: 'Jobs',
  nav: 'jobs',
  async render(main, { query: q, navigate, isCurrent }) {
    const search = {
      state: q.get('state') ?? '',
      region: q.get('region') ?? '',
      project: q.get('project') ?? '',
      owner: q.get('owner') ?? '',
      limit: q.get('limit') ?? DEFAULT_LIMIT,
      order: q.get('order') ?? DEFAULT_ORDER,
    };
    const after = q.get('after') ?? '';
    const { index, known } = trail.locate(JSON.stringify(search), after);

    const regionList = await regions();
    if (!isCurrent()) return;

    // The address of this search at another page; the order is left out when it is the default.
    const href = (cursor) => '#/jobs' + query({ ...search, order: search.order === DEFAULT_ORDER ? '' : search.order, limit: search.limit === DEFAULT_LIMIT ? '' : search.limit, after: cursor });

    const form = filterForm(search, regionList, (values) => navigate('#/jobs' + query(values)));
    const status = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' }, 'Loading…');
    const results = h('div', { class: 'list-results', 'aria-busy': 'true' });
    main.append(
      h('div', { class: 'page-head' },
        h('h1', {}, 'Jobs'),
        h('a', { href: '#/jobs/new', class: 'button' }, 'Submit a job')),
      form,
      h('h2', { class: 'visually-hidden' }, 'Results'),
      status,
      results);

    let page;
    try {
      page = await api.get('api/jobs' + query({ ...search, after }));
    } catch (error) {
      if (!isCurrent()) return;
      // A 403 names the filter the caller's role needs (a researcher's project, an operator's region).
      showListFailure(error, { form, status, results, refused: 'No results: the search was refused.' });
      return;
    }
    if (!isCurrent()) return;

    trail.advance(index, page.nextAfter);

    const limit = Number(search.limit);
    const first = index * limit + 1;
    replace(status,
      h('strong', {}, `${number(page.total)} ${page.total === 1 ? 'job' : 'jobs'}`),
      page.jobs.length === 0 ? '' : known
        ? ` · showing ${number(first)}–${number(first + page.jobs.length - 1)} · page ${index + 1} of ${number(Math.max(1, Math.ceil(page.total / limit)))}`
        : ` · showing ${page.jobs.length} after ${after}`);

    results.removeAttribute('aria-busy');
    if (page.jobs.length === 0) {
      results.append(h('p', { class: 'empty' }, page.total === 0 ? 'No job matches this search. ' : 'No more jobs on this page. ',
        h('a', { href: '#/jobs/new' }, 'Submit a job'), '.'));
    } else {
      results.append(table(page.jobs));
    }

    const previous = trail.previous(index);
    results.append(pager({
      previous: previous === null ? null : href(previous),
      next: page.nextAfter ? href(page.nextAfter) : null,
      start: !known || index > 1 ? href('') : null,
      startText: 'First page',
    }, timeZone));
  },
};

function filterForm(search, regionList, go) {
  const select = filterSelect;
  const text = (id, name, value) => filterText(id, name, value);
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search jobs' },
    h('div', { class: 'row' },
      field({ label: 'State' }, select('jobs-state', 'state', search.state, STATES.map((s) => ({ value: s, label: s })), 'Any state')),
      field({ label: 'Region' }, select('jobs-region', 'region', search.region, regionList.map((r) => ({ value: r.id, label: r.id })), 'Any region')),
      field({ label: 'Project' }, text('jobs-project', 'project', search.project)),
      field({ label: 'Owner' }, text('jobs-owner', 'owner', search.owner)),
      field({ label: 'Page size' }, pageSizeSelect('jobs-limit', search.limit)),
      ORDERS.length > 1 ? field({ label: 'Order' }, select('jobs-order', 'order', search.order === DEFAULT_ORDER ? '' : search.order, ORDERS.slice(1), ORDERS[0].label)) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, 'Search'),
        h('a', { href: '#/jobs', class: 'button secondary' }, 'Clear'))));
  onSearch(form, go);
  return form;
}

function table(jobs) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'jobs-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Job'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Region'),
        h('th', { scope: 'col' }, 'Home'),
        h('th', { scope: 'col' }, 'Accelerators'),
        h('th', { scope: 'col', class: 'num' }, 'Hours'),
        h('th', { scope: 'col' }, 'Project'),
        h('th', { scope: 'col' }, 'Owner'),
        h('th', { scope: 'col' }, 'Submitted'))),
      h('tbody', {}, jobs.map((job) => h('tr', {},
        h('td', { class: 'mono' }, h('a', { href: jobHref(job.id) }, job.id)),
        h('td', {}, statePill(job.state)),
        h('td', {}, job.region ?? '—'),
        h('td', {}, job.homeRegion),
        h('td', {}, acceleratorsText(job.accelerators)),
        h('td', { class: 'num' }, hoursText(job.durationHours)),
        h('td', {}, job.project),
        h('td', {}, job.owner || '—'),
        h('td', { class: 'nowrap' }, timeElement(h, job.submittedAt)))))));
}
