// Numbers, times and durations as the viewer reads them: times in the viewer's own time zone and locale.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An ISO time as a local date and time; '' for none. */
export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateTime.format(d);
}

/** An ISO time as local hours and minutes. */
export function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeOnly.format(d);
}

/** The viewer's time zone, for labels ("times in Asia/Seoul"). */
export const timeZone = zone;

/** A <time> element: local text, the ISO value machine-readable. */
export function timeElement(h, iso) {
  return iso ? h('time', { datetime: iso, title: iso }, time(iso)) : '—';
}

export function percent(fraction, digits = 0) {
  return Number.isFinite(fraction) ? (fraction * 100).toFixed(digits) + ' %' : '—';
}

export function number(n, digits = 0) {
  return Number.isFinite(n) ? n.toLocaleString(undefined, { maximumFractionDigits: digits }) : '—';
}

/** Seconds as "42 s", "12 min", "3.5 h", "2.1 d". */
export function seconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${(s / 60).toFixed(0)} min`;
  if (s < 86400 * 2) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function gigabytes(gb) {
  if (!Number.isFinite(gb)) return '—';
  return gb >= 1000 ? `${(gb / 1000).toFixed(1)} TB` : `${number(gb, 1)} GB`;
}
