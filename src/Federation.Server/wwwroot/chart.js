// A time-series chart drawn as SVG from data (no library): a few series over a shared time axis whose ticks are
// the viewer's local clock. The chart is an image for sighted readers; pages give the same data as text beside it.

import { svg, h } from './dom.js';
import { clock, number } from './format.js';

const withSeconds = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const W = 720, H = 240, left = 52, right = 12, top = 12, bottom = 28;

/** A round step for about `n` ticks between 0 and `max`. */
function step(max, n) {
  const raw = max / n, mag = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? mag * 10;
}

/**
 * series: [{ key, label, kind: 'area'|'line'|'dashed', points: [[Date, value]] }] (same times for all).
 * Returns { element, legend }: the <svg> and an HTML legend naming each series by its line style.
 */
export function timeChart(series, { label }) {
  const times = series.flatMap((s) => s.points.map(([t]) => t.getTime()));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const vmax = Math.max(1, ...series.flatMap((s) => s.points.map(([, v]) => v)));
  const ys = step(vmax, 4), ymax = Math.ceil(vmax / ys) * ys;
  const x = (t) => left + ((t - t0) / Math.max(1, t1 - t0)) * (W - left - right);
  const y = (v) => top + (1 - v / ymax) * (H - top - bottom);

  const grid = [];
  for (let v = 0; v <= ymax + 1e-9; v += ys) {
    grid.push(svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: left - 6, y: y(v) + 4, class: 'ytick' }, number(v)));
  }
  // Time ticks on round local times (at most ~8), labelled in the viewer's zone; seconds only for short spans.
  const span = t1 - t0;
  const every = [10e3, 30e3, 60e3, 300e3, 900e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3].find((s) => span / s <= 8) ?? 12 * 3600e3;
  const tickLabel = every < 60e3 ? (t) => withSeconds.format(new Date(t)) : (t) => clock(new Date(t).toISOString());
  const offset = -new Date(t0).getTimezoneOffset() * 60e3;
  const ticks = [];
  for (let t = Math.ceil((t0 + offset) / every) * every - offset; t <= t1; t += every) ticks.push(t);
  // A span shorter than one step still gets its two ends labelled.
  if (ticks.length === 0) ticks.push(t0, t1);
  for (const t of ticks) {
    grid.push(svg('line', { x1: x(t), x2: x(t), y1: H - bottom, y2: H - bottom + 4, class: 'axis' }),
      // Labels near an edge are anchored inside the chart rather than centred past it.
      svg('text', { x: x(t), y: H - 8, class: x(t) > W - right - 30 ? 'xtick end' : 'xtick' }, tickLabel(t)));
  }

  const drawn = series.map((s) => {
    const pts = s.points.map(([t, v]) => `${x(t.getTime()).toFixed(1)},${y(v).toFixed(1)}`);
    if (s.kind === 'area' && pts.length) {
      const base = `${x(s.points.at(-1)[0].getTime()).toFixed(1)},${y(0)} ${x(s.points[0][0].getTime()).toFixed(1)},${y(0)}`;
      return svg('g', { class: `series ${s.key}` }, svg('polygon', { points: `${pts.join(' ')} ${base}`, class: 'fill' }), svg('polyline', { points: pts.join(' ') }));
    }
    return svg('polyline', { points: pts.join(' '), class: `series ${s.key}${s.kind === 'dashed' ? ' dashed' : ''}` });
  });

  const element = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label },
    grid, svg('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis' }), drawn);
  const legend = h('ul', { class: 'chart-legend' }, series.map((s) => h('li', {},
    svg('svg', { viewBox: '0 0 24 10', width: 24, height: 10, 'aria-hidden': 'true' }, svg('line', { x1: 0, x2: 24, y1: 5, y2: 5, class: `series ${s.key}${s.kind === 'dashed' ? ' dashed' : ''}` })),
    ' ', s.label)));
  return { element, legend };
}
