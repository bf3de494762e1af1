// The megaregion at a glance, for the national coordinator: the four regions on a map and as cards (utilization per
// accelerator type, jobs, queued demand, offer, drain and status), the overflow flows between them, totals, and the
// newest jobs. Everything follows the live snapshots; the newest jobs are re-read at most once a second.

import { h, replace } from '../dom.js';
import { api, ApiError } from '../api.js';
import { subscribe } from '../live.js';
import { number, percent, time, timeElement, gigabytes } from '../format.js';
import { createMap } from '../map.js';
import { regionsOf, byType, offeredCount, offerParts, offerTerms, statusPills, bar, shortName } from '../regioninfo.js';
import { throttle } from '../throttle.js';

export default {
  title: 'Megaregion',
  nav: 'megaregion',
  render(main, ctx) {
    const stamp = h('time', { 'data-field': 'snapshot-time' }, 'waiting for the first snapshot…');
    const totals = h('dl', { class: 'totals', 'aria-label': 'Megaregion totals' });
    const map = createMap({ label: 'Map of the four regions and the overflow flows between them' });
    const flowTable = h('div', { class: 'flow-table' });
    const cards = new Map();
    const cardGrid = h('div', { class: 'region-cards' });
    const jobsBody = h('div', { class: 'latest-jobs', 'aria-live': 'off' }, h('p', { class: 'muted' }, 'Loading…'));

    main.append(
      h('div', { class: 'page-head' },
        h('h1', {}, 'Megaregion'),
        // Not a live region: a snapshot may arrive every second, which a screen reader would read out each time.
        h('p', { class: 'muted snapshot' }, 'Snapshot of ', stamp)),
      totals,
      h('div', { class: 'mega-layout' },
        h('section', { class: 'card map-panel', 'aria-labelledby': 'map-heading' },
          h('h2', { id: 'map-heading' }, 'Map and overflow'),
          map.element,
          h('p', { class: 'legend muted' },
            'Ring: share of accelerators busy. Arrows: jobs that overflowed from one region to another, wider for more jobs (numbers on the arrows). Markers link to each region.'),
          flowTable),
        h('section', { class: 'cards-panel', 'aria-labelledby': 'regions-heading' },
          h('h2', { id: 'regions-heading' }, 'Regions'),
          cardGrid)),
      h('section', { class: 'card', 'aria-labelledby': 'latest-heading' },
        h('h2', { id: 'latest-heading' }, 'Latest jobs'),
        jobsBody));

    function card(id) {
      let c = cards.get(id);
      if (!c) {
        const body = h('div', { class: 'card-body' });
        const el = h('article', { class: `card region-card ${id}`, 'data-region': id, 'aria-labelledby': `card-${id}` },
          h('h3', { id: `card-${id}` }, h('a', { href: `#/regions/${id}` }, shortName(id))), body);
        c = { el, body };
        cards.set(id, c);
        cardGrid.append(el);
      }
      return c;
    }

    function renderSnapshot(s) {
      const m = s.megaregion ?? {};
      stamp.dateTime = s.at ?? m.at ?? '';
      stamp.textContent = time(s.at ?? m.at);
      stamp.title = s.at ?? m.at ?? '';
      const rows = regionsOf(s);
      const running = rows.reduce((n, r) => n + r.region.runningJobs, 0);
      const queued = rows.reduce((n, r) => n + r.region.queuedJobs, 0);
      const offered = rows.reduce((n, r) => n + offeredCount(r.region.offer), 0);
      replace(totals,
        stat('Accelerators', number(m.totalCapacity)),
        stat('Busy', `${number(m.totalBusy)} (${percent(m.utilization)})`),
        stat('Running jobs', number(running)),
        stat('Queued jobs', number(queued)),
        stat('Queued demand', `${number(m.totalQueuedDemand)} acc.`),
        stat('Offered', number(offered)),
        stat('Overflowed jobs', number((m.flows ?? []).reduce((n, f) => n + f.jobs, 0))));

      for (const { region, load } of rows) {
        const c = card(region.id);
        c.el.dataset.status = load?.status ?? 'up';
        c.el.dataset.draining = String(region.draining);
        replace(c.body,
          h('p', { class: 'region-name muted' }, region.name),
          h('p', { class: 'pills' }, statusPills(region, load)),
          h('table', { class: 'types' },
            h('caption', { class: 'sr-only' }, `Utilization of ${shortName(region.id)} per accelerator type`),
            h('thead', { class: 'sr-only' }, h('tr', {}, h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Busy of count'), h('th', { scope: 'col' }, 'Utilization'))),
            h('tbody', {}, byType(region.pools).map((t) => h('tr', { 'data-type': t.type },
              h('th', { scope: 'row' }, t.type),
              h('td', { class: 'num' }, `${number(t.busy)} / ${number(t.count)}`),
              h('td', { class: 'bar-cell' }, bar(t.count ? t.busy / t.count : 0, `${t.type} ${percent(t.count ? t.busy / t.count : 0)} busy`)))))),
          h('dl', { class: 'card-facts' },
            fact('running', 'Running', number(region.runningJobs)),
            fact('queued', 'Queued', number(region.queuedJobs)),
            fact('queued-demand', 'Queued demand', number(region.queuedDemand)),
            fact('external', 'Lent, busy', number(load?.externalBusy ?? region.pools.reduce((n, p) => n + p.externalBusy, 0)))),
          h('p', { class: 'offer' },
            h('strong', { 'data-field': 'offered' }, `offers ${number(offeredCount(region.offer))}`),
            ': ', offerParts(region.offer),
            offerTerms(region.offer) ? h('span', { class: 'muted' }, ` (${offerTerms(region.offer)})`) : null));
      }

      map.update(rows.map(({ region, load }) => ({
        id: region.id, utilization: region.utilization, status: load?.status ?? 'up', draining: region.draining,
        running: region.runningJobs, queued: region.queuedJobs,
      })), m.flows);
      renderFlowTable(m.flows ?? []);
      document.body.dataset.ready = 'megaregion';
      latest.run();
    }

    function renderFlowTable(flows) {
      const shown = flows.filter((f) => f.jobs > 0);
      replace(flowTable, shown.length === 0
        ? h('p', { class: 'muted', 'data-field': 'no-flows' }, 'No job has overflowed between regions yet.')
        : h('table', { class: 'compact' },
          h('caption', {}, 'Overflow flows (jobs that left their home region or a queue for another region)'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'To'), h('th', { scope: 'col', class: 'num' }, 'Jobs'), h('th', { scope: 'col', class: 'num' }, 'Data moved'))),
          h('tbody', {}, shown.map((f) => h('tr', { 'data-flow': `${f.from}-${f.to}` },
            h('td', {}, shortName(f.from)), h('td', {}, shortName(f.to)),
            h('td', { class: 'num' }, number(f.jobs)), h('td', { class: 'num' }, gigabytes(f.dataMovedGb)))))));
    }

    // The newest jobs: re-read when a snapshot arrives, at most once a second.
    const latest = throttle(async () => {
      try {
        const list = await api.get('api/jobs?order=newest&limit=8');
        if (!ctx.isCurrent()) return;
        const jobs = list.jobs ?? [];
        replace(jobsBody, jobs.length === 0
          ? h('p', { class: 'muted' }, 'No jobs yet.')
          : h('table', { class: 'compact' },
            h('thead', {}, h('tr', {}, ['Job', 'State', 'Region', 'Home', 'Accelerators', 'Submitted'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, jobs.map((j) => h('tr', { 'data-job': j.id },
              h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(j.id)}`, class: 'mono' }, j.id)),
              h('td', {}, h('span', { class: `pill ${j.state}` }, j.state)),
              h('td', {}, j.region ? shortName(j.region) : '—'),
              h('td', {}, shortName(j.homeRegion)),
              h('td', {}, `${number(j.accelerators?.count)} × ${(j.accelerators?.types ?? []).join('/') || 'any'}`),
              h('td', {}, timeElement(h, j.submittedAt)))))));
      } catch (e) {
        if (ctx.isCurrent()) replace(jobsBody, h('p', { class: 'error', role: 'alert' }, `The jobs could not be read: ${e instanceof ApiError ? e.message : e}`));
      }
    }, 1000);

    const unsubscribe = subscribe(renderSnapshot);
    return () => {
      unsubscribe();
      latest.stop();
      delete document.body.dataset.ready;
    };
  },
};

function stat(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function fact(field, label, value) {
  return h('div', { 'data-field': field }, h('dt', {}, label), h('dd', {}, value));
}
