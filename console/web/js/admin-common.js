// admin-common.js: helpers shared by the operator pages.
import { api } from './api.js';
import { h, clear, loading, errorBox, busy } from './dom.js';

const UNITS = [['B', 1], ['KiB', 1024], ['MiB', 1024 ** 2], ['GiB', 1024 ** 3], ['TiB', 1024 ** 4]];

// pick reads a field by its JSON name, tolerating Go's default (capitalized) names.
export function pick(o, name) {
  if (!o) return undefined;
  if (name in o) return o[name];
  const cap = name[0].toUpperCase() + name.slice(1);
  return o[cap];
}

// bytesInput is a number field with a unit selector; get() returns bytes
// (0 when empty, meaning unlimited), or NaN when the number is invalid.
export function bytesInput(id, label, bytes, hint) {
  bytes = Number(bytes) || 0;
  let unit = UNITS[0];
  for (const u of UNITS) if (bytes && bytes % u[1] === 0) unit = u;
  const num = h('input', { id, type: 'number', min: '0', step: 'any', inputmode: 'decimal', value: bytes ? String(bytes / unit[1]) : '' });
  const sel = h('select', { id: `${id}-unit`, 'aria-label': `${label} unit` },
    UNITS.map(([name, mult]) => h('option', { value: String(mult), selected: mult === unit[1] }, name)));
  const el = h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('div', { class: 'with-unit' }, num, sel),
    hint ? h('p', { class: 'field-hint' }, hint) : null);
  return {
    el,
    get() {
      if (num.value.trim() === '') return 0;
      const v = Number(num.value);
      if (!Number.isFinite(v) || v < 0) return NaN;
      return Math.round(v * Number(sel.value));
    },
    focus() { num.focus(); },
  };
}

// countInput is a whole-number field; get() returns 0 when empty.
export function countInput(id, label, value, hint) {
  const num = h('input', { id, type: 'number', min: '0', step: '1', inputmode: 'numeric', value: value ? String(value) : '' });
  const el = h('div', { class: 'field' },
    h('label', { for: id }, label), num,
    hint ? h('p', { class: 'field-hint' }, hint) : null);
  return {
    el,
    get() {
      if (num.value.trim() === '') return 0;
      const v = Number(num.value);
      return Number.isInteger(v) && v >= 0 ? v : NaN;
    },
    focus() { num.focus(); },
  };
}

// textInput is a labelled text field.
export function textInput(id, label, attrs = {}) {
  const input = h('input', { id, type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none', ...attrs });
  return { el: h('div', { class: 'field' }, h('label', { for: id }, label), input), input };
}

// refreshingPage renders an operator page that GETs path and shows
// view(answer) under a heading with a Refresh button, and again every
// everyMs while the tab is visible; it returns the page's cleanup.
export function refreshingPage(main, ctx, { title, path, view, everyMs, what }) {
  ctx.setTitle(title);
  const body = h('div', {}, loading(`Loading ${what}…`));
  const refresh = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  clear(main, h('div', { class: 'page-head' }, h('h1', {}, title), refresh), body);

  async function load() {
    body.setAttribute('aria-busy', 'true');
    try {
      const data = await busy(refresh, 'Refreshing…', () => api('GET', path));
      if (ctx.alive()) clear(body, view(data || {}));
    } catch (ex) {
      if (ctx.alive()) clear(body, errorBox(ex));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }
  refresh.addEventListener('click', load);
  load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, everyMs);
  return () => clearInterval(timer);
}
