// Small DOM helpers shared by every page: element builder, icons, formatting,
// copy to clipboard, dialogs, inline errors and loading states.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h builds an element: h('button', {class: 'btn', onclick: fn}, 'Label').
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
}

// clear empties el and appends kids.
export function clear(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

const ICONS = {
  storage: ['M4 6h16v4H4z', 'M4 14h16v4H4z', 'M7 8h.01', 'M7 16h.01'],
  trash: ['M4 7h16', 'M10 11v6', 'M14 11v6', 'M6 7l1 13h10l1-13', 'M9 7V4h6v3'],
  copy: ['M9 9h11v11H9z', 'M5 15H4V4h11v1'],
  tenants: ['M4 20v-2a5 5 0 0 1 5-5h0a5 5 0 0 1 5 5v2', 'M9 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6', 'M16 4a3 3 0 0 1 0 6', 'M20 20v-2a5 5 0 0 0-3-4.6'],
  drive: ['M3 12h18v7H3z', 'M5 12l2-7h10l2 7', 'M16 16h.01'],
  overview: ['M4 20V10', 'M10 20V4', 'M16 20v-7', 'M22 20H2'],
  plus: ['M12 5v14', 'M5 12h14'],
  folder: ['M3 6h6l2 2h10v11H3z'],
  user: ['M5 20v-1a7 7 0 0 1 14 0v1', 'M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8'],
};

// icon returns a decorative SVG icon (hidden from assistive technology).
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name] || []) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

const nf = new Intl.NumberFormat('en-US');

// fmtNumber formats an integer with thousands separators.
export function fmtNumber(n) {
  return nf.format(Number(n) || 0);
}

// fmtBytes formats a byte count in binary units: 0 B, 512 B, 1.5 KiB, 3 GiB.
export function fmtBytes(n) {
  n = Number(n) || 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  const s = v >= 100 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '');
  return `${s} ${units[i]}`;
}

// fmtDate formats an API timestamp, or returns '—' for a missing or zero time.
export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return '—';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// announce tells screen reader users about a change without moving focus.
export function announce(msg) {
  const el = document.getElementById('announce');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = msg; }, 30);
}

// loading returns a loading placeholder.
export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, text);
}

// errorBox returns an inline error message for a failed API call.
export function errorBox(err) {
  return h('div', { class: 'alert alert-error', role: 'alert' }, err && err.message ? err.message : String(err));
}

// busy disables a button while fn runs, showing text meanwhile.
export async function busy(button, text, fn) {
  const old = button.textContent;
  const wasDisabled = button.disabled;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (text) button.textContent = text;
  try {
    return await fn();
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = wasDisabled;
    if (text && button.isConnected) button.textContent = old;
  }
}

// copyText puts text on the clipboard, with a fallback for browsers that
// refuse the async clipboard API.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { class: 'sr-only', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

// copyButton returns a "Copy" button with an accessible label that copies
// the value returned by get().
export function copyButton(label, get) {
  const btn = h('button', { type: 'button', class: 'btn', 'aria-label': label }, icon('copy'), h('span', {}, 'Copy'));
  btn.addEventListener('click', async () => {
    const ok = await copyText(get());
    const span = btn.querySelector('span');
    span.textContent = ok ? 'Copied' : 'Copy failed';
    announce(ok ? `${label.replace(/^Copy /, '')} copied to the clipboard.` : 'Copy failed: select the text and copy it by hand.');
    setTimeout(() => { if (span.isConnected) span.textContent = 'Copy'; }, 2000);
  });
  return btn;
}

// copyField returns a labelled read-only field with a copy button. The
// field is a one-line textarea that wraps and grows to its value, so a key,
// an endpoint or a share link is shown whole on a phone instead of cut off
// at the edge of an input.
export function copyField(id, label, value) {
  const input = h('textarea', { id, class: 'copy-value', rows: 1, readonly: true, value, spellcheck: 'false', autocomplete: 'off', autocapitalize: 'none' });
  const fit = () => {
    if (!input.isConnected) return;
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
  };
  if (typeof ResizeObserver === 'function') new ResizeObserver(fit).observe(input);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('div', { class: 'copy-row' }, input, copyButton(`Copy ${label.toLowerCase()}`, () => input.value)));
}

// openDialog shows a modal <dialog> built by build(dialog, close) and resolves
// with the value passed to close (undefined on Escape or Cancel).
export function openDialog(labelId, build) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { 'aria-labelledby': labelId });
    let result;
    const close = (value) => {
      result = value;
      dlg.close();
    };
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    build(dlg, close);
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('[autofocus]') || dlg.querySelector('input, button');
    if (first) first.focus();
  });
}

let dialogSeq = 0;

// confirmDialog asks a yes/no question. action, if given, runs when the user
// confirms; its error is shown inside the dialog, which stays open.
export function confirmDialog({ title, body, confirmLabel, danger = false, action }) {
  const id = `dlg-title-${++dialogSeq}`;
  return openDialog(id, (dlg, close) => {
    const err = h('div', {});
    const ok = h('button', { type: 'submit', class: danger ? 'btn btn-danger' : 'btn btn-primary' }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'btn', onclick: () => close(false), autofocus: true }, 'Cancel');
    const form = h('form', { method: 'dialog' },
      h('h2', { id }, title),
      Array.isArray(body) ? body : [body],
      err,
      h('div', { class: 'actions' }, cancel, ok));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!action) return close(true);
      clear(err);
      try {
        await busy(ok, `${confirmLabel}…`, action);
        close(true);
      } catch (ex) {
        clear(err, errorBox(ex));
      }
    });
    dlg.append(form);
  });
}

// quotaMeter renders used against limit (0 = unlimited) as a bar whose colour
// changes from 80% (warning) and at 100% (full), with a text equivalent;
// refused says what a full quota refuses.
export function quotaMeter({ label, used, limit, format, unit = '', refused = 'new uploads are refused' }) {
  used = Number(used) || 0;
  limit = Number(limit) || 0;
  const suffix = unit ? ` ${unit}` : '';
  const usedText = format(used);
  if (!limit) {
    return h('div', { class: 'quota', 'data-quota': 'unlimited' },
      h('p', { class: 'meter-text' }, `${usedText}${suffix} used · `, h('strong', {}, 'unlimited'), ' (no quota)'));
  }
  const ratio = used / limit;
  const pct = Math.min(100, Math.round(ratio * 1000) / 10);
  const level = ratio >= 1 ? 'full' : ratio >= 0.8 ? 'warn' : 'ok';
  const text = `${usedText} of ${format(limit)}${suffix} (${pct}%)`;
  const fill = h('span', {});
  fill.style.width = `${Math.min(100, ratio * 100)}%`;
  const bar = h('div', {
    class: `meter ${level}`, role: 'meter', 'aria-label': label,
    'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': Math.min(used, limit), 'aria-valuetext': text,
    'data-level': level,
  }, fill);
  const note = level === 'full' ? `. Quota reached: ${refused}.` : level === 'warn' ? '. Nearing the quota.' : '';
  return h('div', { class: 'quota', 'data-quota': 'limited' },
    bar,
    h('p', { class: `meter-text ${level}` }, text, note));
}
