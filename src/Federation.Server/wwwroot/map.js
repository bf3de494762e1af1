// The megaregion's map: a simplified coastline of Korea's southern peninsula drawn as SVG (no tiles, nothing fetched),
// the four regions placed by latitude and longitude, and the overflow flows between them as arrows whose width
// grows with the number of jobs. The map is built once; update() redraws only the markers' figures and the flows,
// so a focused marker link keeps its focus while snapshots arrive.

import { svg } from './dom.js';
import { number, percent } from './format.js';
import { shortName } from './regioninfo.js';

// Equirectangular projection scaled by cos(latitude) at the map's middle, 200 px per degree of latitude.
const north = 36.45, south = 33.95, west = 126.1, east = 129.75, k = 200, cosLat = Math.cos((35.3 * Math.PI) / 180);
const width = Math.round((east - west) * cosLat * k), height = Math.round((north - south) * k);
const project = ([lat, lon]) => [(lon - west) * cosLat * k, (north - lat) * k];

/** Where each datacenter is; `offset` moves the marker (px) off its site, with a leader line back to it. */
export const sites = {
  gwangju: { lat: 35.16, lon: 126.85, offset: [0, 0] },
  // Suncheon and Gwangyang are 20 km apart: their markers sit out over the sea, apart, each tied to its site.
  suncheon: { lat: 34.95, lon: 127.49, offset: [-62, 96] },
  gwangyang: { lat: 34.94, lon: 127.70, offset: [66, 96] },
  daegu: { lat: 35.87, lon: 128.60, offset: [0, 0] },
};

// The coast, clockwise from the west coast north of the map's edge (lat, lon); simplified to a few dozen points.
const coast = [
  [36.8, 126.45], [36.4, 126.5], [36.2, 126.55], [36.0, 126.7], [35.8, 126.62], [35.6, 126.48], [35.45, 126.42],
  [35.3, 126.35], [35.1, 126.3], [34.95, 126.35], [34.8, 126.38], [34.6, 126.3], [34.4, 126.42], [34.3, 126.55],
  [34.38, 126.75], [34.35, 126.95], [34.5, 127.1], [34.55, 127.3], [34.45, 127.45], [34.62, 127.5], [34.78, 127.55],
  [34.74, 127.65], [34.86, 127.74], [34.95, 127.95], [34.75, 128.0], [34.88, 128.2], [34.85, 128.45], [35.0, 128.6],
  [35.05, 128.8], [35.1, 129.03], [35.2, 129.22], [35.45, 129.36], [35.7, 129.48], [36.0, 129.57], [36.1, 129.42],
  [36.4, 129.4], [36.8, 129.4],
];

const radius = 24;
const circumference = 2 * Math.PI * radius;

function markerPosition(id) {
  const s = sites[id];
  const [x, y] = project([s.lat, s.lon]);
  return { site: [x, y], at: [x + s.offset[0], y + s.offset[1]] };
}

/**
 * Builds the map. Returns { element, update(regions, flows) }: `regions` are { id, utilization, status, draining,
 * running, queued }, `flows` the megaregion's overflow flows.
 */
export function createMap({ label = 'Map of the megaregion' } = {}) {
  const points = coast.map((p) => project(p).map((v) => v.toFixed(1)).join(',')).join(' ');
  const flowLayer = svg('g', { class: 'flows' });
  const markers = new Map();
  const markerLayer = svg('g', { class: 'markers' });
  for (const id of Object.keys(sites)) {
    const { site, at } = markerPosition(id);
    const figures = svg('g', { class: 'figures' });
    const link = svg('a', { href: `#/regions/${id}`, class: `marker ${id}`, 'data-marker': id }, figures);
    const leader = at[0] !== site[0] || at[1] !== site[1]
      ? svg('line', { x1: site[0], y1: site[1], x2: at[0], y2: at[1], class: 'leader' }) : null;
    markerLayer.append(svg('g', {}, leader, svg('circle', { cx: site[0], cy: site[1], r: 3.5, class: 'site' }), link));
    markers.set(id, { link, figures, at });
  }

  const element = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'map', role: 'group', 'aria-label': label },
    svg('defs', {},
      // One arrowhead size for every width (user units), so a wide flow's head does not swallow a short arrow.
      svg('marker', { id: 'flow-arrow', viewBox: '0 0 10 10', refX: 7, refY: 5, markerWidth: 14, markerHeight: 14, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
    svg('rect', { x: 0, y: 0, width, height, class: 'sea' }),
    svg('polygon', { points, class: 'land' }),
    svg('text', { x: width - 10, y: height - 10, class: 'map-note' }, 'Korea, southern peninsula (simplified)'),
    // 50 km: 0.45° of latitude.
    svg('g', { class: 'scale' }, svg('line', { x1: 12, x2: 12 + 0.45 * k, y1: height - 14, y2: height - 14 }),
      svg('text', { x: 12, y: height - 20, class: 'map-note start' }, '50 km')),
    flowLayer,
    markerLayer);

  function update(regions, flows) {
    for (const r of regions) {
      const m = markers.get(r.id);
      if (!m) continue;
      const [x, y] = m.at;
      const u = Math.max(0, Math.min(1, r.utilization || 0));
      const ring = svg('circle', { cx: x, cy: y, r: radius, class: 'ring' });
      ring.setAttribute('stroke-dasharray', `${(u * circumference).toFixed(1)} ${circumference.toFixed(1)}`);
      ring.setAttribute('transform', `rotate(-90 ${x} ${y})`);
      const down = r.status !== 'up';
      m.link.setAttribute('class', `marker ${r.id}${down ? ' down' : ''}${r.draining ? ' draining' : ''}`);
      m.link.setAttribute('aria-label', `${shortName(r.id)}: ${r.status}${r.draining ? ', draining' : ''}, ${percent(u)} busy, ${number(r.running)} running, ${number(r.queued)} queued`);
      m.figures.replaceChildren(
        svg('circle', { cx: x, cy: y, r: radius, class: 'disc' }),
        svg('circle', { cx: x, cy: y, r: radius, class: 'track' }),
        ring,
        svg('text', { x, y: y + 5, class: 'pct' }, down ? '?' : percent(u)),
        svg('text', { x, y: y + radius + 16, class: 'name' }, shortName(r.id)),
        svg('text', { x, y: y + radius + 31, class: 'sub' },
          down ? r.status : r.draining ? `draining · ${number(r.running)} run` : `${number(r.running)} run · ${number(r.queued)} queued`),
        svg('title', {}, m.link.getAttribute('aria-label')));
    }
    drawFlows(flows);
  }

  function drawFlows(flows) {
    const shown = (flows ?? []).filter((f) => f.jobs > 0 && markers.has(f.from) && markers.has(f.to) && f.from !== f.to);
    const max = Math.max(1, ...shown.map((f) => f.jobs));
    flowLayer.replaceChildren(...shown.map((f) => {
      const [x1, y1] = markers.get(f.from).at, [x2, y2] = markers.get(f.to).at;
      const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy);
      // Bend to the right of the direction of travel, so A→B and B→A are two separate arcs.
      const nx = dy / len, ny = -dx / len, bend = Math.min(60, len * 0.22);
      const cx = (x1 + x2) / 2 + nx * bend, cy = (y1 + y2) / 2 + ny * bend;
      // Start and end on the markers' edges, not their centres.
      const trim = (px, py, qx, qy, d) => { const l = Math.hypot(qx - px, qy - py); return [px + ((qx - px) / l) * d, py + ((qy - py) / l) * d]; };
      const [sx, sy] = trim(x1, y1, cx, cy, radius + 4), [ex, ey] = trim(x2, y2, cx, cy, radius + 9);
      const w = 1.5 + 7 * Math.sqrt(f.jobs / max);
      const words = `${shortName(f.from)} to ${shortName(f.to)}: ${number(f.jobs)} jobs, ${number(f.dataMovedGb, 1)} GB moved`;
      const mx = 0.25 * sx + 0.5 * cx + 0.25 * ex, my = 0.25 * sy + 0.5 * cy + 0.25 * ey;
      return svg('g', { class: `flow from-${f.from}`, 'data-flow': `${f.from}-${f.to}` },
        svg('title', {}, words),
        svg('path', { d: `M${sx.toFixed(1)},${sy.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`, 'stroke-width': w.toFixed(1), 'marker-end': 'url(#flow-arrow)' }),
        svg('text', { x: mx.toFixed(1), y: (my + 4).toFixed(1), class: 'flow-label' }, number(f.jobs)));
    }));
  }

  return { element, update };
}
