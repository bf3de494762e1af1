// <input type="datetime-local"> speaks the viewer's wall-clock time without a zone; the API wants ISO 8601 with an
// offset. These convert between the two in the viewer's own zone.

const pad = (n) => String(n).padStart(2, '0');

/** An ISO time → "2026-11-22T09:30" in the viewer's zone, for an input's value; '' for none. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An input's "2026-11-22T09:30" (viewer's zone) → "2026-11-22T09:30:00+09:00"; null for empty, undefined if unreadable. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value); // a date-time without an offset is read as local time
  if (Number.isNaN(d.getTime())) return undefined;
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}
