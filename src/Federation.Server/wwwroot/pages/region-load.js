// The region page's load chart: busy accelerators against capacity, and the queued demand, over the last hours
// (GET /api/regions/{id}/history), drawn as SVG with the viewer's local times; a summary sentence and a table of
// the samples give the same figures as text. Re-read while snapshots arrive, at most once per sample interval
// (clamped to 1..15 s).

import { h, replace } from '../dom.js';
import { api, ApiError } from '../api.js';
import { number, clock, timeElement, timeZone } from '../format.js';
import { timeChart } from '../chart.js';
import { throttle } from '../throttle.js';

export function loadChart(id) {
  const hours = h('select', { id: 'load-hours', onchange: () => { refresher.stop(); load(); } },
    [1, 6, 24].map((n) => h('option', { value: n, selected: n === 6 }, `${n} h`)));
  const figure = h('div', { class: 'chart-box' }, h('p', { class: 'muted' }, 'Loading…'));
  const summary = h('p', { class: 'chart-summary', 'data-field': 'load-summary' });
  const table = h('details', { class: 'chart-table' });
  const element = h('section', { class: 'card', 'aria-labelledby': 'load-heading' },
    h('div', { class: 'section-head' },
      h('h2', { id: 'load-heading' }, 'Load'),
      h('div', { class: 'inline-field' }, h('label', { for: 'load-hours' }, 'Last'), hours)),
    figure, summary, table);

  let interval = 15;
  async function load() {
    let history;
    try {
      history = await api.get(`api/regions/${encodeURIComponent(id)}/history?hours=${hours.value}`);
    } catch (e) {
      replace(figure, h('p', { class: e instanceof ApiError && e.status === 404 ? 'muted' : 'error' }, `The load history could not be read: ${e.message}`));
      return;
    }
    interval = Math.min(15, Math.max(1, history.intervalSeconds ?? 15));
    const samples = history.samples ?? [];
    if (samples.length < 2) {
      replace(figure, h('p', { class: 'muted' }, 'Not enough samples yet: the history grows as the region reports.'));
      replace(summary);
      replace(table);
      return;
    }
    const at = samples.map((s) => new Date(s.at));
    const series = [
      { key: 'busy', label: 'Busy accelerators', kind: 'area', points: samples.map((s, i) => [at[i], s.busy]) },
      { key: 'capacity', label: 'Capacity', kind: 'dashed', points: samples.map((s, i) => [at[i], s.capacity]) },
      { key: 'external', label: 'Busy with other regions\' jobs', kind: 'line', points: samples.map((s, i) => [at[i], s.externalBusy]) },
      { key: 'demand', label: 'Queued demand (accelerators)', kind: 'line', points: samples.map((s, i) => [at[i], s.queuedDemand]) },
    ];
    const { element: svgChart, legend } = timeChart(series, { label: `Load of ${id} over the last ${hours.value} hours; the same figures are in the summary and the table below` });
    replace(figure, svgChart, legend);
    const busy = samples.map((s) => s.busy), demand = samples.map((s) => s.queuedDemand), now = samples.at(-1);
    replace(summary,
      `From ${clock(samples[0].at)} to ${clock(now.at)} (${timeZone}), one sample every ${number(history.intervalSeconds, 1)} s: busy between ${number(Math.min(...busy))} and ${number(Math.max(...busy))} of ${number(now.capacity)} accelerators, now ${number(now.busy)}; queued demand peaked at ${number(Math.max(...demand))}, now ${number(now.queuedDemand)}.`);
    // The table shows at most ~60 rows: every n-th sample, always the newest.
    const every = Math.max(1, Math.ceil(samples.length / 60));
    const rows = samples.filter((_, i) => (samples.length - 1 - i) % every === 0);
    replace(table,
      h('summary', {}, 'Samples as a table'),
      h('table', { class: 'compact' },
        h('thead', {}, h('tr', {}, ['Time', 'Busy', 'Capacity', 'External busy', 'Running jobs', 'Queued jobs', 'Queued demand'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
        h('tbody', {}, rows.reverse().map((s) => h('tr', {},
          h('td', {}, timeElement(h, s.at)),
          [s.busy, s.capacity, s.externalBusy, s.runningJobs, s.queuedJobs, s.queuedDemand].map((v) => h('td', { class: 'num' }, number(v))))))));
  }

  const refresher = throttle(load, () => interval * 1000);
  return { element, refresh: refresher.run, stop: refresher.stop };
}
