// What-if, for the coordinator: run the simulator on a bundled trace or an uploaded CSV with the chosen placement
// policies, watch its progress, then read its report (the simulator's own HTML page, in a frame) and summary.
// A run's address is #/whatif?run={id}, so a run can be linked and reopened.

import { h, replace } from '../dom.js';
import { api, ApiError } from '../api.js';
import { number, time, timeElement } from '../format.js';

// The simulator's policies (Federation.Simulator SimPolicies), with what each means.
const policies = [
  ['isolated', 'Isolated: each job stays home (no federation)'],
  ['random', 'Random feasible region'],
  ['least-loaded', 'Least loaded region'],
  ['earliest-start', 'Earliest start after data transfer (ours)'],
  ['earliest-start+rebalance', 'Earliest start plus the rebalancer'],
  ['pooled', 'Pooled: one ideal pool (the lower bound)'],
];
const defaultPolicies = new Set(['isolated', 'least-loaded', 'earliest-start', 'pooled']);

// Labels of the summary's columns (the simulator's PolicySummary); unknown columns show their own names.
const columns = {
  name: 'Policy', meanWaitS: 'Mean wait', p50WaitS: 'p50 wait', p95WaitS: 'p95 wait', p99WaitS: 'p99 wait', meanJctS: 'Mean completion',
  overflowJobs: 'Overflow jobs', overflowShare: 'Overflow share', dataMovedTB: 'Data moved (TB)', violations: 'Violations',
  unfinishedJobs: 'Never started', rebalanceMoves: 'Rebalance moves', gapClosure: 'Gap closure',
};

const active = (state) => state === 'queued' || state === 'running';

export default {
  title: 'What-if',
  nav: 'whatif',
  render(main, ctx) {
    let poll = null;
    let stopped = false;
    const traceSelect = h('select', { id: 'whatif-trace', 'aria-describedby': 'whatif-trace-hint whatif-trace-error', onchange: describeTrace }, h('option', { value: '' }, 'Loading…'));
    const traceHint = h('span', { class: 'hint', id: 'whatif-trace-hint' });
    let traceList = [];
    const bundled = h('input', { type: 'radio', name: 'source', id: 'whatif-source-bundled', value: 'bundled', checked: true, onchange: sourceChanged });
    const upload = h('input', { type: 'radio', name: 'source', id: 'whatif-source-upload', value: 'upload', onchange: sourceChanged });
    const file = h('input', { type: 'file', id: 'whatif-file', accept: '.csv,text/csv', disabled: true, 'aria-describedby': 'whatif-file-error whatif-file-hint' });
    const loadScale = h('input', { type: 'number', id: 'whatif-load-scale', value: '1', min: '0.1', step: '0.1', 'aria-describedby': 'whatif-loadScale-error' });
    const seed = h('input', { type: 'number', id: 'whatif-seed', value: '1', step: '1', 'aria-describedby': 'whatif-seed-error' });
    const maxJobs = h('input', { type: 'number', id: 'whatif-max-jobs', min: '1', step: '1', placeholder: 'all', 'aria-describedby': 'whatif-maxJobs-error' });
    const formError = h('div', { class: 'alert', role: 'alert', hidden: true });
    const runButton = h('button', { type: 'submit' }, 'Run');
    const errorEls = new Map();
    const err = (name) => { const el = h('span', { class: 'field-error', id: `whatif-${name}-error` }); errorEls.set(name, el); return el; };
    const inputs = { trace: traceSelect, file, loadScale, seed, maxJobs };

    const form = h('form', { class: 'form whatif-form', novalidate: true, onsubmit: submit },
      formError,
      h('fieldset', {},
        h('legend', {}, 'Trace'),
        h('div', { class: 'choice' }, bundled, ' ', h('label', { for: 'whatif-source-bundled' }, 'A bundled trace')),
        h('div', { class: 'field indent' }, h('label', { for: 'whatif-trace' }, 'Bundled trace'), traceSelect, traceHint, err('trace')),
        h('div', { class: 'choice' }, upload, ' ', h('label', { for: 'whatif-source-upload' }, 'Upload a CSV trace')),
        h('div', { class: 'field indent' }, h('label', { for: 'whatif-file' }, 'CSV file'), file,
          h('span', { class: 'hint', id: 'whatif-file-hint' }, 'The simulator\'s trace CSV: a header with job_id, submit_time_s, gpus, duration_s (gpu_type, tenant, home_region, dataset_gb optional; any order), rows in submission order; at most 20 MB.'), err('file'))),
      h('fieldset', { 'aria-describedby': 'whatif-policies-error' },
        h('legend', {}, 'Policies to compare'),
        policies.map(([name, text]) => h('div', { class: 'choice' },
          h('input', { type: 'checkbox', id: `policy-${name}`, value: name, checked: defaultPolicies.has(name), 'data-role': 'policy' }), ' ',
          h('label', { for: `policy-${name}` }, h('code', {}, name), ' — ', text))),
        err('policies')),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'whatif-load-scale' }, 'Load scale'), loadScale, h('span', { class: 'hint' }, '× the trace\'s arrival rate'), err('loadScale')),
        h('div', { class: 'field' }, h('label', { for: 'whatif-seed' }, 'Seed'), seed, err('seed')),
        h('div', { class: 'field' }, h('label', { for: 'whatif-max-jobs' }, 'At most, jobs'), maxJobs, h('span', { class: 'hint' }, 'empty: the whole trace, up to the server\'s limit'), err('maxJobs'))),
      h('div', { class: 'toolbar' }, runButton));

    const runPanel = h('section', { class: 'card run-panel', 'aria-labelledby': 'run-heading', hidden: true });
    const runsBody = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));

    main.append(
      h('h1', {}, 'What-if'),
      h('p', { class: 'muted' }, 'Replay a workload through the simulator under several placement policies and compare waiting times, overflow and data moved. Runs do not touch the live megaregion.'),
      h('div', { class: 'whatif-layout' },
        h('section', { class: 'card', 'aria-labelledby': 'new-run-heading' }, h('h2', { id: 'new-run-heading' }, 'New run'), form),
        h('section', { class: 'card', 'aria-labelledby': 'runs-heading' }, h('h2', { id: 'runs-heading' }, 'Recent runs'), runsBody)),
      runPanel);

    function describeTrace() {
      traceHint.textContent = traceList.find((t) => t.name === traceSelect.value)?.description ?? '';
    }

    function sourceChanged() {
      traceSelect.disabled = !bundled.checked;
      file.disabled = !upload.checked;
    }

    function clearErrors() {
      formError.hidden = true;
      for (const el of errorEls.values()) el.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    }

    function showErrors(e) {
      const unplaced = [];
      let first = null;
      for (const [field, messages] of Object.entries(e.errors ?? {})) {
        const el = errorEls.get(field);
        if (!el) { unplaced.push(`${field}: ${messages.join(' ')}`); continue; }
        el.textContent = messages.join(' ');
        const input = inputs[field] ?? form.querySelector('[data-role="policy"]');
        input?.setAttribute('aria-invalid', 'true');
        first ??= input;
      }
      if (unplaced.length || !first) {
        replace(formError, h('strong', {}, 'The run was not started. '), unplaced.length ? unplaced.join('; ') : e.message);
        formError.hidden = false;
      }
      first?.focus();
    }

    async function submit(event) {
      event.preventDefault();
      clearErrors();
      const data = new FormData();
      if (bundled.checked) data.set('trace', traceSelect.value);
      else if (file.files[0]) data.set('file', file.files[0]);
      data.set('policies', [...form.querySelectorAll('[data-role="policy"]:checked')].map((c) => c.value).join(','));
      data.set('loadScale', loadScale.value);
      data.set('seed', seed.value);
      if (maxJobs.value) data.set('maxJobs', maxJobs.value);
      runButton.disabled = true;
      try {
        const { data: run } = await api.post('api/whatif', data);
        if (!ctx.isCurrent()) return;
        // The run's own address, without re-rendering the page (replaceState fires no hashchange).
        history.replaceState(null, '', `#/whatif?run=${encodeURIComponent(run.id)}`);
        show(run, true);
        loadRuns();
      } catch (e) {
        if (e instanceof ApiError) showErrors(e);
        else showErrors({ message: String(e) });
      } finally {
        runButton.disabled = false;
      }
    }

    // One run: progress while it runs (polled every 500 ms), then its summary and report.
    let shownId = null;
    function show(run, focus) {
      clearTimeout(poll);
      const fresh = shownId !== run.id;
      shownId = run.id;
      runPanel.hidden = false;
      runPanel.dataset.run = run.id;
      runPanel.dataset.state = run.state;
      const progress = h('progress', { id: 'run-progress', max: 1, value: run.progress ?? 0 }, `${Math.round((run.progress ?? 0) * 100)} %`);
      const heading = h('h2', { id: 'run-heading', tabindex: '-1' }, 'Run ', h('code', {}, run.id));
      const parts = [
        heading,
        h('p', { class: 'muted' }, `Trace ${run.trace || 'uploaded'}${run.jobs ? ` (${number(run.jobs)} jobs)` : ''}, load × ${run.loadScale ?? 1}, seed ${run.seed ?? '—'}; policies ${(run.policies ?? []).join(', ')}; created `, timeElement(h, run.createdAt),
          run.finishedAt ? [', finished ', timeElement(h, run.finishedAt)] : null),
        h('p', { role: 'status', 'aria-live': 'polite', 'data-field': 'run-state' }, h('span', { class: `pill run-${run.state}` }, run.state),
          active(run.state) ? ` ${Math.round((run.progress ?? 0) * 100)} %` : null),
      ];
      if (active(run.state)) {
        parts.push(h('div', { class: 'field' }, h('label', { for: 'run-progress' }, 'Progress'), progress),
          h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'secondary', onclick: () => cancel(run.id) }, 'Cancel run')));
      }
      if (run.state === 'failed' && run.error) parts.push(h('p', { class: 'alert', role: 'alert' }, run.error));
      if (run.state === 'completed') {
        parts.push(h('h3', {}, 'Summary'), summaryTable(run.summary ?? []),
          h('h3', {}, 'Report'),
          reportView(run.id));
      }
      replace(runPanel, ...parts);
      if (focus && fresh) heading.focus();
      if (active(run.state)) poll = setTimeout(() => refresh(run.id), 500);
      else if (!fresh) loadRuns();
    }

    // The report needs the token, which neither a link nor a frame sends: it is read once per run and shown from a blob
    // URL, in the frame and behind the link (the blob is this page's own, so the new tab needs no token).
    let report = null; // { id, url }
    function reportView(id) {
      const link = h('a', { target: '_blank', rel: 'noopener', 'aria-disabled': 'true', 'data-field': 'report-link' }, 'Open the report on its own page');
      const frame = h('iframe', { title: `What-if report of run ${id}`, class: 'report-frame' });
      const view = h('div', {}, h('p', {}, link), frame);
      const place = (url) => {
        link.href = url;
        link.removeAttribute('aria-disabled');
        frame.src = url;
      };
      if (report?.id === id) {
        place(report.url);
        return view;
      }
      api.get(`api/whatif/${encodeURIComponent(id)}/report`).then((html) => {
        if (stopped || shownId !== id) return;
        if (report?.id !== id) {
          forgetReport();
          report = { id, url: URL.createObjectURL(new Blob([html], { type: 'text/html' })) };
        }
        place(report.url);
      }, (e) => {
        if (!stopped && shownId === id) replace(view, h('p', { class: 'error', role: 'alert' }, `The report could not be read: ${e.message}`));
      });
      return view;
    }

    function forgetReport() {
      if (report) URL.revokeObjectURL(report.url);
      report = null;
    }

    async function refresh(id) {
      try {
        const run = await api.get(`api/whatif/${encodeURIComponent(id)}`);
        if (!stopped && shownId === id) show(run, false);
      } catch (e) {
        if (!stopped) replace(runPanel, h('h2', { id: 'run-heading' }, 'Run ', h('code', {}, id)), h('p', { class: 'error', role: 'alert' }, `The run could not be read: ${e.message}`));
      }
    }

    async function cancel(id) {
      try {
        await api.delete(`api/whatif/${encodeURIComponent(id)}`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) formError.textContent = e.message;
      }
      refresh(id);
    }

    async function loadRuns() {
      try {
        const runs = await api.get('api/whatif');
        if (stopped) return;
        const list = Array.isArray(runs) ? runs : runs.runs ?? [];
        replace(runsBody, list.length === 0 ? h('p', { class: 'muted' }, 'No run yet.')
          : h('table', { class: 'compact' },
            h('thead', {}, h('tr', {}, ['Created', 'Trace and policies', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, list.slice(0, 20).map((r) => h('tr', { 'data-run': r.id },
              // The run's id is long: the link reads as its creation time, the id is its title.
              h('td', {}, h('a', { href: `#/whatif?run=${encodeURIComponent(r.id)}`, title: r.id }, time(r.createdAt))),
              h('td', {}, `${r.trace || 'uploaded'}${r.jobs ? ` · ${number(r.jobs)} jobs` : ''}`, h('div', { class: 'small muted' }, (r.policies ?? []).join(', '))),
              h('td', {}, h('span', { class: `pill run-${r.state}` }, r.state)))))));
      } catch (e) {
        if (!stopped) replace(runsBody, h('p', { class: 'error' }, `The runs could not be read: ${e.message}`));
      }
    }

    async function loadTraces() {
      try {
        const traces = await api.get('api/whatif/traces');
        if (stopped) return;
        traceList = traces;
        replace(traceSelect, traces.map((t) => h('option', { value: t.name }, `${t.name}${t.jobs ? ` (${number(t.jobs)} jobs)` : ''}`)));
        describeTrace();
      } catch (e) {
        if (!stopped) replace(traceSelect, h('option', { value: '' }, `no bundled traces: ${e.message}`));
      }
    }

    loadTraces();
    loadRuns();
    const wanted = ctx.query.get('run');
    if (wanted) { shownId = wanted; refresh(wanted); }
    return () => { stopped = true; clearTimeout(poll); forgetReport(); };
  },
};

function summaryTable(rows) {
  if (!rows.length) return h('p', { class: 'muted' }, 'The run has no summary.');
  const keys = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object' || rows[0][k] === null);
  return h('div', { class: 'table-scroll' }, h('table', { class: 'compact summary-table' },
    h('caption', {}, 'One row per policy; waits and completion times are means or percentiles over the trace\'s jobs.'),
    h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col', class: k === 'name' ? null : 'num' }, columns[k] ?? k)))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-policy': r.name }, keys.map((k) => k === 'name'
      ? h('th', { scope: 'row' }, h('code', {}, r[k]))
      : h('td', { class: 'num' }, cell(k, r[k]))))))));
}

function cell(key, v) {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : String(v);
  if (Number.isNaN(v)) return '—';
  if (key === 'overflowShare') return `${number(v * 100, 1)} %`;
  if (key.endsWith('S')) return v >= 3600 ? `${number(v / 3600, 2)} h` : v >= 60 ? `${number(v / 60, 1)} min` : `${number(v, 0)} s`;
  return number(v, Number.isInteger(v) ? 0 : 3);
}
