// admin-tenants.js: the operator's tenants list with usage against quota,
// and the Create tenant form.
import { api } from './api.js';
import { h, clear, loading, errorBox, busy, fmtBytes, fmtNumber, quotaMeter } from './dom.js';
import { pick, bytesInput, countInput, textInput } from './admin-common.js';
import { tenantNameProblem } from './names.js';

export function render(main, ctx) {
  ctx.setTitle('Tenants');
  const list = h('div', {}, loading('Loading tenants…'));
  const status = h('div', { role: 'status' });

  const name = textInput('tenant-name', 'Tenant name', { 'aria-describedby': 'tenant-name-hint' });
  const maxObjects = countInput('tenant-max-objects', 'Max objects', 0, 'Empty or 0: unlimited.');
  const maxBytes = bytesInput('tenant-max-bytes', 'Max bytes', 0, 'Empty or 0: unlimited.');
  const err = h('div', {});
  const create = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create tenant');
  const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'create-tenant-h' },
    h('h2', { id: 'create-tenant-h' }, 'Create tenant'),
    h('div', { class: 'inline-fields' }, name.el, maxObjects.el, maxBytes.el),
    h('p', { id: 'tenant-name-hint', class: 'field-hint' }, '3–63 characters: lower-case letters, digits and hyphens.'),
    err,
    h('div', { class: 'actions' }, create));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(err);
    const n = name.input.value.trim();
    const objects = maxObjects.get();
    const bytes = maxBytes.get();
    const problem = tenantNameProblem(n);
    if (problem) {
      clear(err, errorBox(new Error(problem)));
      name.input.focus();
      return;
    }
    if (Number.isNaN(objects)) { clear(err, errorBox(new Error('Max objects must be a whole number.'))); maxObjects.focus(); return; }
    if (Number.isNaN(bytes)) { clear(err, errorBox(new Error('Max bytes must be a positive number.'))); maxBytes.focus(); return; }
    try {
      await busy(create, 'Creating…', () => api('POST', '/api/admin/tenants', { name: n, quota: { objects, bytes } }));
      name.input.value = '';
      clear(status, h('div', { class: 'alert alert-ok' }, 'Tenant ', h('a', { href: `#/admin/tenants/${encodeURIComponent(n)}` }, n), ' created. Add its users next.'));
      load();
    } catch (ex) {
      clear(err, errorBox(ex));
    }
  });

  clear(main, h('div', { class: 'page-head' }, h('h1', {}, 'Tenants')), status, form,
    h('section', { 'aria-labelledby': 'tenants-h' }, h('h2', { id: 'tenants-h' }, 'All tenants'), list));

  async function load() {
    list.setAttribute('aria-busy', 'true');
    try {
      const data = await api('GET', '/api/admin/tenants');
      if (ctx.alive()) clear(list, table((data && data.tenants) || []));
    } catch (ex) {
      if (ctx.alive()) clear(list, errorBox(ex), h('button', { type: 'button', class: 'btn', onclick: load }, 'Try again'));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }
  load();
}

function table(tenants) {
  if (tenants.length === 0) return h('p', { class: 'empty' }, 'No tenants yet. Create one above.');
  tenants.sort((a, b) => String(pick(a, 'name')).localeCompare(String(pick(b, 'name'))));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Tenants with usage and quota'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Tenant'),
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col', class: 'num' }, 'Containers'),
      h('th', { scope: 'col' }, 'Objects (used / quota)'),
      h('th', { scope: 'col' }, 'Bytes (used / quota)'),
      h('th', { scope: 'col' }, 'S3 credentials'))),
    h('tbody', {}, tenants.map((t) => {
      const n = pick(t, 'name');
      const usage = pick(t, 'usage') || {};
      const quota = pick(t, 'quota') || {};
      const suspended = pick(t, 'suspended');
      return h('tr', { 'data-tenant': n },
        h('th', { scope: 'row' }, h('a', { href: `#/admin/tenants/${encodeURIComponent(n)}` }, n)),
        h('td', { 'data-label': 'Status' }, suspended
          ? h('span', { class: 'badge badge-bad' }, 'Suspended')
          : h('span', { class: 'badge badge-ok' }, 'Active')),
        h('td', { class: 'num', 'data-label': 'Containers' }, fmtNumber(pick(usage, 'containers')),
          Number(pick(usage, 'containerLimit')) ? h('span', { class: 'muted small' }, ` of ${fmtNumber(pick(usage, 'containerLimit'))}`) : null),
        h('td', { 'data-label': 'Objects' }, quotaMeter({ label: `${n} object quota`, used: pick(usage, 'objects'), limit: pick(quota, 'objects'), format: fmtNumber })),
        h('td', { 'data-label': 'Bytes' }, quotaMeter({ label: `${n} byte quota`, used: pick(usage, 'bytes'), limit: pick(quota, 'bytes'), format: fmtBytes })),
        h('td', { 'data-label': 'S3 credentials' }, pick(t, 'hasCredentials') ? 'Yes' : h('span', { class: 'muted' }, 'None')));
    }))));
}
