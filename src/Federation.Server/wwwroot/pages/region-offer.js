// The offer editor of the region page: rows of accelerator type and count, an optional window (local date-times
// sent as ISO with the viewer's offset) and preemptibility; PUT /api/regions/{id}/offer. The API's problem details
// are shown beside the field they name (`accelerators[0].count`, `until`); what names no field goes above the form.

import { h, replace } from '../dom.js';
import { api, ApiError } from '../api.js';
import { time, timeZone } from '../format.js';
import { shortName } from '../regioninfo.js';
import { toLocalInput, fromLocalInput } from '../localtime.js';

export function offerEditor(initial, onSaved) {
  const id = initial.id;
  let pools = initial.pools;
  let rowSeq = 0;
  const rows = h('div', { class: 'offer-rows' });
  const from = h('input', { type: 'datetime-local', id: 'offer-from', 'aria-describedby': 'offer-from-error offer-window-hint' });
  const until = h('input', { type: 'datetime-local', id: 'offer-until', 'aria-describedby': 'offer-until-error offer-window-hint' });
  const preemptible = h('input', { type: 'checkbox', id: 'offer-preemptible' });
  const formError = h('div', { class: 'alert', role: 'alert', hidden: true });
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'status-line', 'data-field': 'offer-status' });
  const save = h('button', { type: 'submit' }, 'Save offer');
  const errorSlots = new Map(); // field name → { el, input }

  function slot(name, input) {
    const el = h('span', { class: 'field-error', id: `err-${name.replace(/[^a-z0-9]/gi, '-')}` });
    errorSlots.set(name, { el, input });
    return el;
  }

  const form = h('form', { class: 'offer-form', novalidate: true, onsubmit: submit },
    formError,
    h('fieldset', {},
      h('legend', {}, 'Accelerators lent to other regions'),
      rows,
      slot('accelerators'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { const r = addRow(); r.querySelector('select').focus(); } }, 'Add a type')),
    h('fieldset', {},
      h('legend', {}, 'Window (optional)'),
      h('p', { class: 'hint', id: 'offer-window-hint' }, `Times in ${timeZone}. Empty means open.`),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'offer-from' }, 'From'), from, slotFor('from', from)),
        h('div', { class: 'field' }, h('label', { for: 'offer-until' }, 'Until'), until, slotFor('until', until)))),
    h('div', { class: 'choice' }, preemptible, ' ', h('label', { for: 'offer-preemptible' }, 'Preemptible: lent accelerators may be taken back from guest jobs'), slotFor('preemptible', preemptible)),
    h('div', { class: 'toolbar' }, save, h('button', { type: 'button', class: 'secondary', onclick: () => fill(current) }, 'Reset')),
    status);

  function slotFor(name, input) {
    const el = slot(name, input);
    el.id = `offer-${name}-error`;
    return el;
  }

  function addRow(type, count) {
    const n = rowSeq++;
    const select = h('select', { id: `offer-type-${n}`, 'data-role': 'type' }, pools.map((p) => h('option', { value: p.type, selected: p.type === type }, `${p.type} (pool of ${p.count})`)));
    const input = h('input', { type: 'number', id: `offer-count-${n}`, 'data-role': 'count', min: 0, step: 1, inputmode: 'numeric', value: count ?? 0 });
    const typeError = h('span', { class: 'field-error', 'data-role': 'type-error', id: `offer-type-${n}-error` });
    const countError = h('span', { class: 'field-error', 'data-role': 'count-error', id: `offer-count-${n}-error` });
    select.setAttribute('aria-describedby', typeError.id);
    input.setAttribute('aria-describedby', countError.id);
    const row = h('div', { class: 'offer-row row', 'data-row': n },
      h('div', { class: 'field' }, h('label', { for: select.id }, 'Type'), select, typeError),
      h('div', { class: 'field' }, h('label', { for: input.id }, 'Count'), input, countError),
      h('button', { type: 'button', class: 'secondary remove', 'aria-label': 'Remove this type', onclick: () => {
        const next = row.nextElementSibling ?? row.previousElementSibling;
        row.remove();
        (next?.querySelector('select') ?? form.querySelector('button.secondary')).focus();
      } }, 'Remove'));
    rows.append(row);
    return row;
  }

  let current = initial.offer;
  // The region's version when the form was filled: a save applies only to the region as the operator saw it (If-Match).
  let version = initial.version;
  function fill(offer) {
    current = offer;
    replace(rows);
    for (const a of offer?.accelerators ?? []) addRow(a.type, a.count);
    from.value = toLocalInput(offer?.from);
    until.value = toLocalInput(offer?.until);
    preemptible.checked = !!offer?.preemptible;
    clearErrors();
  }

  function clearErrors() {
    formError.hidden = true;
    replace(formError);
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  // The rows as they stand now, indexed as the request sends them (removed rows leave no gap).
  const rowEls = () => [...rows.querySelectorAll('.offer-row')];

  function showErrors(errors, fallback) {
    const unplaced = [];
    let firstInput = null;
    for (const [field, messages] of Object.entries(errors ?? {})) {
      const text = messages.join(' ');
      const m = /^accelerators\[(\d+)\]\.(type|count)$/.exec(field);
      let target = null;
      if (m) {
        const row = rowEls()[Number(m[1])];
        if (row) target = { el: row.querySelector(`[data-role="${m[2]}-error"]`), input: row.querySelector(`[data-role="${m[2]}"]`) };
      } else {
        target = errorSlots.get(field) ?? null;
      }
      if (target) {
        target.el.textContent = text;
        if (target.input) {
          target.input.setAttribute('aria-invalid', 'true');
          firstInput ??= target.input;
        }
      } else {
        unplaced.push(`${field}: ${text}`);
      }
    }
    if (unplaced.length || !firstInput) {
      replace(formError, h('strong', {}, 'The offer was not saved. '), unplaced.length ? unplaced.join('; ') : fallback);
      formError.hidden = false;
    }
    firstInput?.focus();
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    status.textContent = '';
    const body = {
      accelerators: rowEls().map((row) => {
        const raw = row.querySelector('[data-role="count"]').value;
        return { type: row.querySelector('[data-role="type"]').value, count: raw === '' ? null : Number(raw) };
      }),
      from: fromLocalInput(from.value) ?? null,
      until: fromLocalInput(until.value) ?? null,
      preemptible: preemptible.checked,
      // Not edited here: the grace period the offer had is kept.
      reclaimGraceSeconds: current?.reclaimGraceSeconds ?? null,
    };
    save.disabled = true;
    try {
      const { data } = await api.put(`api/regions/${encodeURIComponent(id)}/offer`, body, { 'If-Match': `"${version}"` });
      version = data.version;
      fill(data.offer);
      status.textContent = `Saved at ${time(new Date().toISOString())}: ${shortName(id)} now offers ${data.offer.accelerators.reduce((n, a) => n + a.count, 0)}.`;
      onSaved(data);
    } catch (e) {
      // A refusal of the caller's role names the region (`id`), no field of the form: its detail says it all.
      if (e instanceof ApiError && e.status === 403) showErrors({}, e.detail || e.message);
      else if (e instanceof ApiError) showErrors(e.errors, e.message);
      else showErrors({}, String(e));
    } finally {
      save.disabled = false;
    }
  }

  fill(initial.offer);
  return {
    element: form,
    /** The region's pools changed (a snapshot): the type choices follow, the rows' values stay. */
    types(next) { pools = next; },
  };
}
