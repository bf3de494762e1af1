// The four regions in one table, each linking to its page; follows the live snapshots.

import { h, replace } from '../dom.js';
import { subscribe } from '../live.js';
import { number, percent } from '../format.js';
import { regionsOf, offeredCount, statusPills, bar, shortName, byType } from '../regioninfo.js';

export default {
  title: 'Regions',
  nav: 'regions',
  render(main) {
    const body = h('tbody', {}, h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'Waiting for the first snapshot…')));
    main.append(
      h('h1', {}, 'Regions'),
      h('p', { class: 'muted' }, 'The four regional datacenters of the megaregion. Open one to see its load over time, change what it offers to the others, or drain it.'),
      h('table', { class: 'regions-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Region'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Accelerators'),
          h('th', { scope: 'col', class: 'num' }, 'Busy'), h('th', { scope: 'col' }, 'Utilization'),
          h('th', { scope: 'col', class: 'num' }, 'Running'), h('th', { scope: 'col', class: 'num' }, 'Queued'),
          h('th', { scope: 'col', class: 'num' }, 'Queued demand'), h('th', { scope: 'col', class: 'num' }, 'Offered'))),
        body));

    return subscribe((s) => {
      replace(body, regionsOf(s).map(({ region, load }) => {
        const capacity = region.pools.reduce((n, p) => n + p.count, 0), busy = region.pools.reduce((n, p) => n + p.busy, 0);
        return h('tr', { 'data-region': region.id },
          h('th', { scope: 'row' }, h('a', { href: `#/regions/${region.id}` }, shortName(region.id)), h('div', { class: 'muted small' }, region.name)),
          h('td', {}, statusPills(region, load)),
          h('td', {}, byType(region.pools).map((t) => `${t.type} ${number(t.count)}`).join(', ')),
          h('td', { class: 'num' }, `${number(busy)} / ${number(capacity)}`),
          h('td', { class: 'bar-cell' }, bar(region.utilization), h('span', { class: 'small' }, percent(region.utilization))),
          h('td', { class: 'num' }, number(region.runningJobs)),
          h('td', { class: 'num' }, number(region.queuedJobs)),
          h('td', { class: 'num' }, number(region.queuedDemand)),
          h('td', { class: 'num', 'data-field': 'offered' }, number(offeredCount(region.offer))));
      }));
    });
  },
};
