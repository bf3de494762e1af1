// What the coordinator pages say about a region, shared by the megaregion, regions and region pages: display names,
// per-type utilization from the pools, the offer in words, and the region's status pills.

import { h } from './dom.js';
import { number, percent, time } from './format.js';

/** Short display names (the API's `name` is the long description). */
const names = { gwangju: 'Gwangju', suncheon: 'Suncheon', gwangyang: 'Gwangyang', daegu: 'Daegu' };

export const shortName = (id) => names[id] ?? id;

/** The region of a snapshot by id, with its load (status, offered) from the megaregion view beside it. */
export function regionsOf(snapshot) {
  const loads = new Map((snapshot?.megaregion?.regions ?? []).map((l) => [l.id, l]));
  return (snapshot?.regions ?? []).map((region) => ({ region, load: loads.get(region.id) ?? null }));
}

/** Busy/count per accelerator type (a region may have two pools of one type: they are added). */
export function byType(pools) {
  const types = new Map();
  for (const p of pools ?? []) {
    const t = types.get(p.type) ?? { type: p.type, count: 0, busy: 0, externalBusy: 0 };
    t.count += p.count;
    t.busy += p.busy;
    t.externalBusy += p.externalBusy;
    types.set(p.type, t);
  }
  return [...types.values()];
}

export const offeredCount = (offer) => (offer?.accelerators ?? []).reduce((n, a) => n + a.count, 0);

/** "H100 628 · A100 112", or "nothing" for an empty offer. */
export function offerParts(offer) {
  const parts = (offer?.accelerators ?? []).filter((a) => a.count > 0).map((a) => `${a.type} ${number(a.count)}`);
  return parts.length ? parts.join(' · ') : 'nothing';
}

/** The offer's window and preemptibility in words, or '' when it is always open and not preemptible. */
export function offerTerms(offer) {
  const terms = [];
  if (offer?.from) terms.push(`from ${time(offer.from)}`);
  if (offer?.until) terms.push(`until ${time(offer.until)}`);
  if (offer?.preemptible) terms.push('preemptible');
  return terms.join(', ');
}

/** Status pills: up/unreachable, in service/draining, away; each says its meaning in text, colour only adds to it. */
export function statusPills(region, load) {
  const status = load?.status ?? 'up';
  return [
    h('span', { class: `pill ${status}`, 'data-field': 'status' }, status === 'up' ? 'up' : status),
    ' ',
    h('span', { class: `pill ${region.draining ? 'draining' : 'serving'}`, 'data-field': 'drain' }, region.draining ? 'draining' : 'in service'),
    region.away ? [' ', h('span', { class: 'pill away', title: 'its grain runs on another region\'s silo' }, 'away')] : null,
  ];
}

/** A utilization bar: the fill's width through CSSOM (allowed by the CSP, unlike a style attribute). */
export function bar(fraction, label) {
  const fill = h('span');
  fill.style.width = `${Math.max(0, Math.min(1, fraction || 0)) * 100}%`;
  if (fraction >= 0.9) fill.className = 'high';
  return h('div', { class: 'bar', role: 'img', 'aria-label': label ?? percent(fraction) }, fill);
}
