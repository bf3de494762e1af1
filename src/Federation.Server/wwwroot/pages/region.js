// One region, for its operator: pools, load over the last hours, the offer editor, drain / return to service, and
// the jobs of other regions running on its hardware. Pools, offer and drain state follow the live snapshots; the
// offer editor is filled from the region once and after each save, never while the operator is editing it.

import { h, replace } from '../dom.js';
import { api, ApiError } from '../api.js';
import { subscribe } from '../live.js';
import { number, percent, time, timeElement } from '../format.js';
import { regionsOf, offeredCount, offerParts, offerTerms, statusPills, bar, shortName } from '../regioninfo.js';
import { throttle } from '../throttle.js';
import { loadChart } from './region-load.js';
import { offerEditor } from './region-offer.js';

export default {
  title: (params) => shortName(params.id),
  nav: 'regions',
  async render(main, ctx) {
    const id = ctx.params.id;
    let region;
    try {
      region = await api.get(`api/regions/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        main.append(h('h1', {}, 'No such region'), h('p', { role: 'alert' }, e.message), h('p', {}, h('a', { href: '#/regions' }, 'All regions')));
        return undefined;
      }
      throw e;
    }
    if (!ctx.isCurrent()) return undefined;

    const pills = h('p', { class: 'pills', 'aria-live': 'polite' });
    const facts = h('dl', { class: 'totals' });
    const poolsBody = h('tbody');
    const currentOffer = h('p', { class: 'current-offer', 'data-field': 'current-offer' });
    const drainState = h('p', { 'data-field': 'drain-state' });
    const drainStatus = h('p', { role: 'status', 'aria-live': 'polite', class: 'status-line' });
    const drainButton = h('button', { type: 'button', class: 'danger', onclick: () => dialog.showModal() }, 'Drain region…');
    const undrainButton = h('button', { type: 'button', onclick: () => setDrain(false, false) }, 'Return to service');
    const requeue = h('input', { type: 'checkbox', id: 'drain-requeue', checked: true });
    const dialog = h('dialog', { 'aria-labelledby': 'drain-dialog-title', class: 'confirm' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'drain-dialog-title' }, `Drain ${shortName(id)}?`),
        h('p', {}, `${shortName(id)} will start no new job and admit none; its running jobs finish.`),
        h('p', {}, requeue, ' ', h('label', { for: 'drain-requeue' }, 'Hand its queued jobs back to placement, so they can start in another region')),
        h('div', { class: 'toolbar' },
          h('button', { type: 'submit', value: 'drain', class: 'danger' }, `Drain ${shortName(id)}`),
          h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'))));
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'drain') setDrain(true, requeue.checked);
      else drainButton.focus();
    });
    const awayBody = h('div', { 'data-field': 'guest-jobs' }, h('p', { class: 'muted' }, 'Loading…'));
    const chart = loadChart(id);
    const editor = offerEditor(region, (saved) => apply({ region: saved }));

    main.append(
      h('div', { class: 'page-head' },
        h('h1', {}, shortName(id), ' ', h('span', { class: 'muted subtitle' }, region.name)),
        pills),
      facts,
      h('div', { class: 'region-layout' },
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'pools-heading' },
            h('h2', { id: 'pools-heading' }, 'Pools'),
            h('table', { class: 'compact' },
              h('thead', {}, h('tr', {},
                h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col', class: 'num' }, 'Count'), h('th', { scope: 'col', class: 'num' }, 'Busy'),
                h('th', { scope: 'col', class: 'num' }, 'External busy'), h('th', { scope: 'col' }, 'Utilization'),
                h('th', { scope: 'col', class: 'num' }, 'PF / unit'), h('th', { scope: 'col', class: 'num' }, 'Memory'))),
              poolsBody)),
          chart.element,
          h('section', { class: 'card', 'aria-labelledby': 'guests-heading' },
            h('h2', { id: 'guests-heading' }, 'Other regions\' jobs running here'),
            awayBody)),
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'offer-heading' },
            h('h2', { id: 'offer-heading' }, 'Offer to other regions'),
            currentOffer,
            editor.element),
          h('section', { class: 'card', 'aria-labelledby': 'drain-heading' },
            h('h2', { id: 'drain-heading' }, 'Drain'),
            drainState,
            h('div', { class: 'toolbar' }, drainButton, undrainButton),
            drainStatus,
            dialog))));

    let last = null;
    let pillState = '';
    function apply({ region: r, load }) {
      region = r;
      // The pills are a live region: rewritten only when they change, so each change is announced once.
      const state = `${(load ?? last?.load)?.status ?? 'up'}/${r.draining}/${r.away}`;
      if (state !== pillState) {
        pillState = state;
        replace(pills, statusPills(r, load ?? last?.load), ' ', h('span', { class: 'muted small' }, r.illustrative ? 'figures are illustrative' : ''));
      }
      const capacity = r.pools.reduce((n, p) => n + p.count, 0), busy = r.pools.reduce((n, p) => n + p.busy, 0);
      replace(facts,
        stat('Accelerators', number(capacity)),
        stat('Busy', `${number(busy)} (${percent(r.utilization)})`),
        stat('Running jobs', number(r.runningJobs)),
        stat('Queued jobs', number(r.queuedJobs)),
        stat('Queued demand', `${number(r.queuedDemand)} acc.`),
        stat('Compute', `${number(r.totalPetaflops, 1)} PF`),
        stat('Storage', `${number(r.storagePb, 1)} PB`),
        stat('Preemptions', h('span', { 'data-field': 'preemptions', title: 'Jobs of other regions this region took its lent accelerators back from, ever' }, number(r.preemptions))));
      replace(poolsBody, r.pools.map((p) => h('tr', { 'data-type': p.type },
        h('th', { scope: 'row' }, p.type), h('td', { class: 'num' }, number(p.count)), h('td', { class: 'num' }, number(p.busy)),
        h('td', { class: 'num' }, number(p.externalBusy)),
        h('td', { class: 'bar-cell' }, bar(p.count ? p.busy / p.count : 0), h('span', { class: 'small' }, percent(p.count ? p.busy / p.count : 0))),
        h('td', { class: 'num' }, number(p.petaflopsPerUnit, 3)), h('td', { class: 'num' }, `${number(p.memoryGb)} GB`))));
      replace(currentOffer, 'Now ', h('strong', { 'data-field': 'offered' }, `offers ${number(offeredCount(r.offer))}`), ': ', offerParts(r.offer),
        offerTerms(r.offer) ? ` (${offerTerms(r.offer)})` : ' (always, not preemptible)');
      replace(drainState, r.draining
        ? [h('strong', {}, 'Draining:'), ' starts and admits no new job; running jobs finish.']
        : [h('strong', {}, 'In service:'), ' admits and starts jobs.']);
      drainButton.hidden = r.draining;
      undrainButton.hidden = !r.draining;
      editor.types(r.pools);
      if (load !== undefined) last = { load };
      guests.run();
      chart.refresh();
    }

    async function setDrain(drain, requeueQueued) {
      drainButton.disabled = undrainButton.disabled = true;
      drainStatus.className = 'status-line';
      drainStatus.textContent = drain ? 'Draining…' : 'Returning to service…';
      try {
        // Applies to the region as this page last showed it: a change made meanwhile by someone else is not overwritten.
        const { data } = await api.post(`api/regions/${encodeURIComponent(id)}/drain`, { drain, requeueQueued }, { 'If-Match': `"${region.version}"` });
        if (!ctx.isCurrent()) return;
        apply({ region: data });
        drainStatus.textContent = drain
          ? `${shortName(id)} is draining${requeueQueued ? '; its queued jobs were handed back to placement' : ''} (${time(new Date().toISOString())}).`
          : `${shortName(id)} is back in service (${time(new Date().toISOString())}).`;
        (drain ? undrainButton : drainButton).focus();
      } catch (e) {
        drainStatus.className = 'status-line error';
        drainStatus.textContent = `Not changed: ${e.message}`;
      } finally {
        drainButton.disabled = undrainButton.disabled = false;
      }
    }

    // Jobs from other regions running here: re-read when the region's figures change, at most once a second.
    let guestKey = '';
    const guests = throttle(async () => {
      const key = `${region.runningJobs}/${region.pools.map((p) => p.externalBusy).join(',')}`;
      if (key === guestKey) return;
      try {
        const list = await api.get(`api/jobs?region=${encodeURIComponent(id)}&state=Running&limit=1000`);
        if (!ctx.isCurrent()) return;
        guestKey = key;
        const rows = (list.jobs ?? []).filter((j) => j.homeRegion !== id);
        replace(awayBody, rows.length === 0
          ? h('p', { class: 'muted' }, `No job from another region is running on ${shortName(id)}.`)
          : h('table', { class: 'compact' },
            h('caption', {}, `${number(rows.length)} job${rows.length === 1 ? '' : 's'} from other regions${list.nextAfter ? ' among the first 1,000 running here' : ''}`),
            h('thead', {}, h('tr', {}, ['Job', 'Home', 'Project', 'Accelerators', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, rows.map((j) => h('tr', { 'data-job': j.id },
              h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(j.id)}`, class: 'mono' }, j.id)),
              h('td', {}, shortName(j.homeRegion)),
              h('td', {}, j.project),
              h('td', {}, `${number(j.accelerators?.count)} × ${(j.accelerators?.types ?? []).join('/') || 'any'}`),
              h('td', {}, timeElement(h, j.startedAt)))))));
      } catch (e) {
        if (ctx.isCurrent()) replace(awayBody, h('p', { class: 'error', role: 'alert' }, `The running jobs could not be read: ${e.message}`));
      }
    }, 1000);

    apply({ region });
    const unsubscribe = subscribe((s) => {
      const mine = regionsOf(s).find((r) => r.region.id === id);
      if (mine) apply(mine);
    });
    return () => {
      unsubscribe();
      guests.stop();
      chart.stop();
      if (dialog.open) dialog.close();
    };
  },
};

function stat(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}
