// Building DOM nodes from data without innerHTML: text is always text, so nothing the API returns can become markup.

/**
 * h('a', { href: '#/jobs', class: 'x' }, 'text', child, [more]) → an element.
 * Attributes: `class`, `for`, `aria-*`, `data-*` as attributes; `on*` functions as listeners; `hidden`/`disabled`/
 * `checked`/`selected` as booleans; null/undefined/false skipped.
 */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (!svg && (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden')) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** An SVG element: svg('circle', { cx: 1 }). */
export const svg = (tag, attrs, ...children) => h('svg:' + tag, attrs, ...children);

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
