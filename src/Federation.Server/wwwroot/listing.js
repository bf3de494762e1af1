// What the searchable lists (#/jobs, #/audit) share: the trail of keyset cursors that lets Previous work, the pager,
// the page-size choice, and the filter form's controls. A list's filters live in the hash's query, so a search is a
// link; its pages are keyset pages of the API (the cursor is the previous page's `next…` value).

import { ApiError } from './api.js';
import { h, replace } from './dom.js';
import { showProblem } from './forms.js';

export const PAGE_SIZES = ['10', '25', '50', '100'];
export const DEFAULT_LIMIT = '25';

/**
 * The cursors of the pages seen since the first page of one search: cursors[i] opens page i+1 ('' = the first). Kept
 * across renders (each page change is a new hash) so Previous knows where the previous page started. A search opened
 * at a later page (a shared link) starts its trail there: its page number is unknown.
 */
export function cursorTrail() {
  let key = null;
  let cursors = [''];
  return {
    /** The page `cursor` opens in the search `searchKey`: its index in the trail, and whether the trail starts at the first page. */
    locate(searchKey, cursor) {
      if (key !== searchKey) {
        key = searchKey;
        cursors = [''];
      }
      let index = cursors.indexOf(cursor);
      if (index < 0) {
        cursors = [cursor];
        index = 0;
      }
      return { index, known: cursors[0] === '' };
    },
    /** The page at `index` was read; `next` opens the one after it (null or '' when it was the last). */
    advance(index, next) {
      cursors = cursors.slice(0, index + 1);
      if (next) cursors.push(String(next));
    },
    /** The cursor of the page before `index`, or null on the first page. */
    previous(index) {
      return index > 0 ? cursors[index - 1] : null;
    },
  };
}

/** The pager under a list: Previous, Next (disabled text when there is no such page), a way back to the start, the time zone. */
export function pager({ previous, next, start, startText }, timeZone) {
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    pagerLink(previous, '← Previous page', 'prev'),
    pagerLink(next, 'Next page →', 'next'),
    start ? h('a', { href: start }, startText) : null,
    h('span', { class: 'muted' }, `times in ${timeZone}`));
}

function pagerLink(target, text, rel) {
  return target
    ? h('a', { href: target, class: 'button secondary', rel }, text)
    : h('span', { class: 'button secondary disabled', 'aria-disabled': 'true' }, text);
}

/**
 * A filter's select: "any" first, then the options; a value the hash carries that no option has (a hand-edited link)
 * stays visible, so the server's message about it has something to sit beside.
 */
export function filterSelect(id, name, value, options, anyText) {
  const list = [{ value: '', label: anyText }, ...options];
  if (value !== '' && !list.some((o) => o.value === value)) list.push({ value, label: value });
  return h('select', { id, name }, list.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
}

/** A filter's free-text box. */
export function filterText(id, name, value, placeholder) {
  return h('input', { id, name, type: 'search', value, placeholder, autocomplete: 'off', spellcheck: 'false' });
}

/** The page-size select (the default shown as "any"). */
export function pageSizeSelect(id, limit) {
  return filterSelect(id, 'limit', limit === DEFAULT_LIMIT ? '' : limit,
    PAGE_SIZES.filter((s) => s !== DEFAULT_LIMIT).map((s) => ({ value: s, label: `${s} a page` })), `${DEFAULT_LIMIT} a page`);
}

/**
 * Calls `go` with the form's named values when it is submitted. Filters are exact matches, so the spaces typed around a
 * value (which would only make it match nothing) are dropped.
 */
export function onSearch(form, go) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = {};
    for (const el of form.elements) if (el.name) values[el.name] = el.value.trim();
    go(values);
  });
}

/**
 * Shows why a list's page could not be read: a 400 or 403 (a filter the server refused, or one the caller's role needs)
 * beside the filters at fault, anything else the API answered as an alert. An error that is not the API's is thrown.
 */
export function showListFailure(error, { form, status, results, refused }) {
  results.removeAttribute('aria-busy');
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 400 || error.status === 403) {
    showProblem(form, error, { heading: error.status === 400 ? 'The search was refused: fix the filters marked below.' : `The search was refused: ${error.title}` });
    replace(status, refused);
  } else {
    replace(status, '');
    results.append(h('div', { class: 'alert', role: 'alert' }, h('strong', {}, error.title), ' ', error.detail));
  }
}
