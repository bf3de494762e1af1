// Showing the API's problem details on a form: each message beside the field it names, a summary at the top.
// The server is the one validator; a form only maps the API's field names (`accelerators.count`, `allowedRegions[1]`)
// to its inputs. Name inputs after the API's fields and the default mapping needs no help.

import { h } from './dom.js';

let serial = 0;

/** A labelled input in a `.field` box: field({ label, hint }, h('input', { id, name })). The input needs an id. */
export function field({ label, hint, class: cls }, input) {
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: cls ? `field ${cls}` : 'field' },
    h('label', { for: input.id }, label),
    input,
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null);
}

/** A group of checkboxes (`name` each) in a fieldset with a legend; options are { value, label, hint }. */
export function checkboxes({ legend, hint, name, idPrefix, options, checked = [] }) {
  const hintId = hint ? `${idPrefix}-hint` : null;
  return h('fieldset', { class: 'field checks', id: idPrefix, 'aria-describedby': hintId },
    h('legend', {}, legend),
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
    h('div', { class: 'check-list' }, options.map((o, i) => {
      const id = `${idPrefix}-${i}`;
      // The label is the option's name alone; its hint is the checkbox's description.
      return h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, name, value: o.value, checked: checked.includes(o.value), 'aria-describedby': o.hint ? `${id}-hint` : null }),
        h('label', { for: id }, o.label),
        o.hint ? h('span', { class: 'hint', id: `${id}-hint` }, o.hint) : null);
    })));
}

/** The checked values of the checkboxes called `name` in `form`, in document order. */
export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(name)}"]`)].filter((c) => c.checked).map((c) => c.value);
}

/**
 * Removes what showProblem put on the form: the summary, the messages, aria-invalid, and the describedby links it added.
 */
export function clearProblem(form) {
  form.querySelector(':scope > .form-summary')?.remove();
  for (const message of form.querySelectorAll('.field-error[data-problem]')) message.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    const ids = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && !id.startsWith('problem-'));
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }
}

/**
 * Shows an ApiError on `form`. Each entry of `error.errors` goes beside the input `resolve(name)` returns (by default the
 * form control called `name`, or for `name[i]` the i-th control called `name`): the input gets aria-invalid and an
 * aria-describedby link to the message. A summary in role=alert at the top of the form lists every message as a link to
 * its input; names no input answers to (`body`, a field the form lacks) are listed there only. The first invalid input
 * gets the focus (the summary when there is none). `extra` nodes are appended to the summary.
 * Returns the inputs marked invalid.
 */
export function showProblem(form, error, { resolve, heading, extra } = {}) {
  clearProblem(form);
  // Messages in the form's own order (the server's is its rules' order): names without an input first, as they are
  // about the request as a whole.
  const entries = Object.entries(error.errors ?? {})
    .map(([name, messages]) => ({ name, messages, input: (resolve && resolve(name)) || defaultResolve(form, name) }))
    .sort((a, b) => !a.input || !b.input ? Number(!!a.input) - Number(!!b.input)
      : a.input.compareDocumentPosition(b.input) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : a.input === b.input ? 0 : 1);
  const items = [];
  const marked = [];
  for (const { name, messages, input } of entries) {
    const text = messages.join(' ');
    if (!input) {
      items.push(h('li', {}, h('code', {}, name), ': ', text));
      continue;
    }
    const id = `problem-${++serial}`;
    input.setAttribute('aria-invalid', 'true');
    const describedBy = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    input.setAttribute('aria-describedby', [id, ...describedBy].join(' '));
    // The message goes under the input's own box: a checkbox's group, else the .field around it.
    const box = input.closest('fieldset.field') ?? input.closest('.field') ?? input.parentElement;
    box.append(h('span', { class: 'field-error', id, 'data-problem': '' }, text));
    marked.push(input);
    items.push(h('li', {}, h('a', {
      href: `#${input.id}`,
      onclick: (e) => { e.preventDefault(); input.focus(); },
    }, labelOf(input, name)), ': ', text));
  }

  const summary = h('div', { class: 'alert form-summary', role: 'alert', tabindex: '-1' },
    h('p', { class: 'summary-title' }, h('strong', {}, heading ?? error.title ?? 'The request was refused.')),
    entries.length === 0 && error.detail ? h('p', {}, error.detail) : null,
    error.status === 503 && error.retryAfter ? h('p', {}, `The server asks to retry after ${error.retryAfter} s.`) : null,
    items.length ? h('ul', {}, items) : null,
    extra ?? null);
  form.prepend(summary);
  (marked[0] ?? summary).focus();
  return marked;
}

function defaultResolve(form, name) {
  const direct = form.elements.namedItem(name);
  if (direct) return direct instanceof RadioNodeList ? direct[0] : direct;
  const indexed = /^(.*)\[(\d+)\]$/.exec(name);
  if (!indexed) return null;
  const all = form.elements.namedItem(indexed[1]);
  if (!all) return null;
  return all instanceof RadioNodeList ? all[Number(indexed[2])] ?? all[0] : all;
}

/** The words of an input's label (the text of <label for>, or its group's legend for a checkbox), else the API name. */
function labelOf(input, name) {
  if (input.type === 'checkbox') {
    const legend = input.closest('fieldset')?.querySelector('legend')?.textContent;
    const own = input.labels?.[0]?.textContent;
    if (legend) return own ? `${legend}: ${own}` : legend;
  }
  return input.labels?.[0]?.textContent?.trim() || name;
}

/** Disables `button` while `work()` runs (a double click sends once); re-enables it after. */
export async function whileSending(button, work, busyText = 'Sending…') {
  const text = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyText;
  try {
    return await work();
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = text;
    }
  }
}
