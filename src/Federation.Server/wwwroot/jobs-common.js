// What the jobs pages (list, submit, one job) share: the regions as the API describes them, and a job's parts in words.

import { api } from './api.js';
import { h } from './dom.js';
import { number } from './format.js';

/** Every state a job can be in, in lifecycle order (the list API's `state` filter takes these). */
export const STATES = ['Submitted', 'Queued', 'Running', 'Completed', 'Failed', 'Cancelled'];

/** States a job leaves no more: nothing to follow or cancel. */
export const FINISHED = new Set(['Completed', 'Failed', 'Cancelled']);

/** A job's address in the console. */
export const jobHref = (id) => `#/jobs/${encodeURIComponent(id)}`;

/** GET /api/regions, once per page load of the module (regions and their pool types do not change while the console runs). */
let regionsPromise = null;
export function regions() {
  regionsPromise ??= api.get('api/regions').catch((e) => {
    regionsPromise = null;
    throw e;
  });
  return regionsPromise;
}

/** The accelerator types of every region's pools: [{ type, memoryGb (largest), regions: [id] }], by type name. */
export function acceleratorTypes(regionList) {
  const byType = new Map();
  for (const region of regionList) {
    for (const pool of region.pools) {
      const t = byType.get(pool.type) ?? { type: pool.type, memoryGb: 0, regions: [] };
      t.memoryGb = Math.max(t.memoryGb, pool.memoryGb);
      if (!t.regions.includes(region.id)) t.regions.push(region.id);
      byType.set(pool.type, t);
    }
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

/** A state as a pill: the word is the meaning, the colour only repeats it. */
export const statePill = (state) => h('span', { class: `pill ${state}` }, state);

/** "8 × H100", "8 × H100 or A100", "8 × any" with "≥ 80 GB" when a memory floor is set. */
export function acceleratorsText(a) {
  const types = a.types?.length ? a.types.join(' or ') : 'any type';
  const memory = a.minMemoryGb > 0 ? `, ≥ ${a.minMemoryGb} GB each` : '';
  return `${number(a.count)} × ${types}${memory}`;
}

/** Hours as "2 h", "0.5 h", "36 h". */
export const hoursText = (hours) => `${number(hours, 2)} h`;
