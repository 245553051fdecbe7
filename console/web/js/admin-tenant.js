// admin-tenant.js: one tenant for the operator: usage and quota, suspend or
// resume, its containers with sizes, console users, block volumes, S3 key
// status, audit log, delete.
import { api, enc } from './api.js';
import {
  h, clear, loading, errorBox, busy, fmtBytes, fmtNumber, fmtDate, announce,
  confirmDialog, openDialog, quotaMeter,
} from './dom.js';
import { pick, bytesInput, countInput, textInput } from './admin-common.js';
import { usageHistory } from './usage-history.js';

// AUDIT_PAGE is how many of the tenant's newest audit events the page shows.
const AUDIT_PAGE = 50;

export function render(main, ctx) {
  const name = ctx.params[0];
  const base = `/api/admin/tenants/${enc(name)}`;
  ctx.setTitle(`Tenant ${name}`);
  const status = h('div', { role: 'status' });
  const body = h('div', {}, loading('Loading tenant…'));
  clear(main,
    h('p', {}, h('a', { href: '#/admin/tenants' }, '← All tenants')),
    h('div', { class: 'page-head' }, h('h1', {}, `Tenant ${name}`)),
    status, body);

  const say = (msg) => clear(status, h('div', { class: 'alert alert-ok' }, msg));

  async function load() {
    body.setAttribute('aria-busy', 'true');
    try {
      const [t, key, audit, containers] = await Promise.all([
        api('GET', base),
        api('GET', `${base}/keys?optional=true`), // null when the tenant has no key pair
        api('GET', `/api/admin/audit?tenant=${enc(name)}&limit=${AUDIT_PAGE}`).catch(() => null),
        api('GET', `${base}/containers`).catch(() => null),
      ]);
      if (ctx.alive()) clear(body, view(t || {}, key, audit, containers));
    } catch (ex) {
      if (ctx.alive()) clear(body, errorBox(ex), h('button', { type: 'button', class: 'btn', onclick: load }, 'Try again'));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  function view(t, key, audit, containers) {
    const usage = pick(t, 'usage') || {};
    const quota = pick(t, 'quota') || {};
    const suspended = !!pick(t, 'suspended');
    return [
      summary(t, usage, quota, suspended),
      h('section', { class: 'panel', id: 'tenant-usage-chart', 'aria-labelledby': 'usage-chart-h' },
        h('h2', { id: 'usage-chart-h' }, 'Usage over time'),
        usageHistory({ id: 'tenant-usage', path: `${base}/usage/history`, alive: ctx.alive })),
      containersSection(containers),
      quotaForm(quota, usage),
      usersSection(pick(t, 'users') || []),
      volumesSection(pick(t, 'volumes') || []),
      keySection(key),
      auditSection(audit),
      dangerSection(),
    ];
  }

  function summary(t, usage, quota, suspended) {
    const toggle = h('button', { type: 'button', class: suspended ? 'btn btn-primary' : 'btn' }, suspended ? 'Resume tenant' : 'Suspend tenant');
    const err = h('div', {});
    toggle.addEventListener('click', async () => {
      clear(err);
      try {
        await busy(toggle, suspended ? 'Resuming…' : 'Suspending…', () => api('POST', `${base}/${suspended ? 'resume' : 'suspend'}`));
        say(suspended ? `Tenant ${name} resumed.` : `Tenant ${name} suspended: its S3 requests are refused.`);
        load();
      } catch (ex) { clear(err, errorBox(ex)); }
    });
    return h('section', { class: 'panel', 'aria-labelledby': 'summary-h' },
      h('h2', { id: 'summary-h' }, 'Usage'),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Status'), h('dd', {}, suspended ? h('span', { class: 'badge badge-bad' }, 'Suspended') : h('span', { class: 'badge badge-ok' }, 'Active')),
        h('dt', {}, 'Created'), h('dd', {}, fmtDate(pick(t, 'created'))),
        h('dt', {}, 'Containers'), h('dd', {}, fmtNumber(pick(usage, 'containers')))),
      h('div', { class: 'usage-grid' },
        h('div', {}, h('h3', {}, 'Objects'), quotaMeter({ label: 'Object quota', used: pick(usage, 'objects'), limit: pick(quota, 'objects'), format: fmtNumber, unit: 'objects' })),
        h('div', {}, h('h3', {}, 'Bytes'), quotaMeter({ label: 'Byte quota', used: pick(usage, 'bytes'), limit: pick(quota, 'bytes'), format: fmtBytes })),
        h('div', {}, h('h3', {}, 'Containers'), quotaMeter({ label: 'Container limit', used: pick(usage, 'containers'), limit: pick(usage, 'containerLimit'), format: fmtNumber, unit: 'containers', refused: 'new containers are refused' })),
        h('div', {}, h('h3', {}, 'Unfinished uploads'), quotaMeter({ label: 'Upload limit', used: pick(usage, 'uploads'), limit: pick(usage, 'uploadLimit'), format: fmtNumber, unit: 'uploads', refused: 'new multipart uploads are refused' }))),
      err,
      h('div', { class: 'actions' }, toggle));
  }

  function quotaForm(quota, usage) {
    const objects = countInput('quota-objects', 'Max objects', pick(quota, 'objects'), 'Empty or 0: unlimited.');
    const bytes = bytesInput('quota-bytes', 'Max bytes', pick(quota, 'bytes'), 'Empty or 0: unlimited.');
    // Empty or 0 takes the server's default; the limit in force is shown.
    const inForce = (v) => (Number(v) ? `Empty or 0: the server default (now ${fmtNumber(v)}).` : 'Empty or 0: the server default (now none).');
    const buckets = countInput('quota-buckets', 'Max containers', pick(quota, 'buckets'), inForce(pick(usage, 'containerLimit')));
    const uploads = countInput('quota-uploads', 'Max unfinished uploads', pick(quota, 'uploads'), inForce(pick(usage, 'uploadLimit')));
    const err = h('div', {});
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save quota');
    const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'quota-h' },
      h('h2', { id: 'quota-h' }, 'Quota'),
      h('p', { class: 'muted small' }, 'Uploads that would exceed a limit are refused with QuotaExceeded.'),
      h('div', { class: 'inline-fields' }, objects.el, bytes.el, buckets.el, uploads.el),
      err, h('div', { class: 'actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(err);
      const o = objects.get();
      const b = bytes.get();
      if (Number.isNaN(o)) { clear(err, errorBox(new Error('Max objects must be a whole number.'))); objects.focus(); return; }
      if (Number.isNaN(b)) { clear(err, errorBox(new Error('Max bytes must be a positive number.'))); bytes.focus(); return; }
      const c = buckets.get();
      const u = uploads.get();
      if (Number.isNaN(c)) { clear(err, errorBox(new Error('Max containers must be a whole number.'))); buckets.focus(); return; }
      if (Number.isNaN(u)) { clear(err, errorBox(new Error('Max unfinished uploads must be a whole number.'))); uploads.focus(); return; }
      try {
        await busy(save, 'Saving…', () => api('PUT', `${base}/quota`, { objects: o, bytes: b, buckets: c, uploads: u }));
        say(`Quota of ${name} saved: ${o ? fmtNumber(o) : 'unlimited'} objects, ${b ? fmtBytes(b) : 'unlimited'} bytes.`);
        load();
      } catch (ex) { clear(err, errorBox(ex)); }
    });
    return form;
  }

  function usersSection(users) {
    const username = textInput('user-name', 'Username');
    const password = textInput('user-password', 'Password', { type: 'password', autocomplete: 'new-password' });
    const err = h('div', {});
    const add = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add user');
    const form = h('form', { novalidate: true },
      h('h3', {}, 'Add a user'),
      h('div', { class: 'inline-fields' }, username.el, password.el),
      err, h('div', { class: 'actions' }, add));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(err);
      const u = username.input.value.trim();
      if (!u || !password.input.value) { clear(err, errorBox(new Error('Enter a username and a password.'))); (u ? password.input : username.input).focus(); return; }
      try {
        await busy(add, 'Adding…', () => api('POST', `${base}/users`, { username: u, password: password.input.value }));
        say(`User ${u} added to ${name}.`);
        load();
      } catch (ex) { clear(err, errorBox(ex)); }
    });
    const rows = users.map((u) => {
      const un = pick(u, 'username');
      const reset = h('button', { type: 'button', class: 'btn', 'aria-label': `Reset password of ${un}` }, 'Reset password');
      const del = h('button', { type: 'button', class: 'btn btn-danger', 'aria-label': `Delete user ${un}` }, 'Delete');
      reset.addEventListener('click', async () => {
        const done = await passwordDialog(un);
        if (done) say(`Password of ${un} changed.`);
        reset.focus();
      });
      del.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Delete user ${un}?`, body: h('p', {}, `${un} can no longer log in to the console.`),
          confirmLabel: 'Delete user', danger: true, action: () => api('DELETE', `${base}/users/${enc(un)}`),
        });
        if (ok) { say(`User ${un} deleted.`); load(); }
      });
      return h('tr', {},
        h('th', { scope: 'row', class: 'mono' }, un),
        h('td', { 'data-label': 'Created' }, fmtDate(pick(u, 'created'))),
        h('td', { class: 'act' }, h('div', { class: 'actions' }, reset, del)));
    });
    return h('section', { class: 'panel', 'aria-labelledby': 'users-h' },
      h('h2', { id: 'users-h' }, 'Console users'),
      users.length === 0 ? h('p', { class: 'empty' }, 'No users yet: nobody can log in as this tenant.')
        : h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Username'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
          h('tbody', {}, rows))),
      form);
  }

  function passwordDialog(un) {
    return openDialog('pw-title', (dlg, close) => {
      const pw = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', autofocus: true });
      const err = h('div', {});
      const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Set password');
      const form = h('form', { novalidate: true },
        h('h2', { id: 'pw-title' }, `New password for ${un}`),
        h('div', { class: 'field' }, h('label', { for: 'new-password' }, 'New password'), pw),
        err,
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'), save));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clear(err);
        try {
          await busy(save, 'Saving…', () => api('PUT', `${base}/users/${enc(un)}/password`, { password: pw.value }));
          close(true);
        } catch (ex) { clear(err, errorBox(ex)); }
      });
      dlg.append(form);
    });
  }

  function volumesSection(volumes) {
    const vname = textInput('volume-name', 'Volume name');
    const size = bytesInput('volume-size', 'Size', 0);
    const server = textInput('volume-server', 'Attached server');
    const err = h('div', {});
    const add = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add volume');
    const form = h('form', { novalidate: true },
      h('h3', {}, 'Record a volume'),
      h('div', { class: 'inline-fields' }, vname.el, size.el, server.el),
      err, h('div', { class: 'actions' }, add));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(err);
      const n = vname.input.value.trim();
      const b = size.get();
      if (!n) { clear(err, errorBox(new Error('Enter a volume name.'))); vname.input.focus(); return; }
      if (!b) { clear(err, errorBox(new Error('Enter the volume size.'))); size.focus(); return; }
      try {
        await busy(add, 'Adding…', () => api('POST', `${base}/volumes`, { name: n, sizeBytes: b, server: server.input.value.trim() }));
        say(`Volume ${n} recorded.`);
        load();
      } catch (ex) { clear(err, errorBox(ex)); }
    });
    const rows = volumes.map((v) => {
      const vn = pick(v, 'name');
      const del = h('button', { type: 'button', class: 'btn btn-danger', 'aria-label': `Remove volume ${vn}` }, 'Remove');
      del.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Remove volume ${vn}?`, body: h('p', {}, 'This removes the record only; the volume itself is not touched.'),
          confirmLabel: 'Remove', danger: true, action: () => api('DELETE', `${base}/volumes?name=${enc(vn)}`),
        });
        if (ok) { say(`Volume ${vn} removed.`); load(); }
      });
      return h('tr', {},
        h('th', { scope: 'row', class: 'mono' }, vn),
        h('td', { class: 'num', 'data-label': 'Size' }, fmtBytes(pick(v, 'sizeBytes'))),
        h('td', { 'data-label': 'Attached server' }, pick(v, 'server') || '—'),
        h('td', { class: 'act' }, del));
    });
    return h('section', { class: 'panel', 'aria-labelledby': 'volumes-h' },
      h('h2', { id: 'volumes-h' }, 'Block storage volumes'),
      volumes.length === 0 ? h('p', { class: 'empty' }, 'No volumes recorded for this tenant.')
        : h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Volume'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Attached server'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
          h('tbody', {}, rows))),
      form);
  }

  function keySection(key) {
    return h('section', { class: 'panel', 'aria-labelledby': 'key-h' },
      h('h2', { id: 'key-h' }, 'S3 credentials'),
      key ? h('dl', { class: 'kv' },
        h('dt', {}, 'Access key'), h('dd', { class: 'mono' }, pick(key, 'accessKey')),
        h('dt', {}, 'Created'), h('dd', {}, fmtDate(pick(key, 'created'))),
        h('dt', {}, 'Last used'), h('dd', {}, fmtDate(pick(key, 'lastUsed'))))
        : h('p', { class: 'muted' }, 'None. The tenant generates its key pair under Storage > Settings.'));
  }

  function containersSection(data) {
    const list = (data && pick(data, 'containers')) || null;
    const body = list === null ? h('p', { class: 'muted' }, 'Containers could not be loaded.')
      : list.length === 0 ? h('p', { class: 'empty' }, 'No containers.')
        : h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'tenant-containers' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Container'),
            h('th', { scope: 'col', class: 'num' }, 'Objects'),
            h('th', { scope: 'col', class: 'num' }, 'Bytes'),
            h('th', { scope: 'col', class: 'num' }, 'Noncurrent'),
            h('th', { scope: 'col' }, 'Versioning'),
            h('th', { scope: 'col' }, 'Created'))),
          h('tbody', {}, list.map((c) => {
            const v = pick(c, 'versioning');
            return h('tr', { 'data-container': pick(c, 'name') },
              h('th', { scope: 'row', class: 'mono' }, pick(c, 'name')),
              h('td', { class: 'num', 'data-label': 'Objects' }, fmtNumber(pick(c, 'objects'))),
              h('td', { class: 'num', 'data-label': 'Bytes' }, fmtBytes(pick(c, 'bytes'))),
              h('td', { class: 'num', 'data-label': 'Noncurrent' }, `${fmtNumber(pick(c, 'noncurrentObjects'))} · ${fmtBytes(pick(c, 'noncurrentBytes'))}`),
              h('td', { 'data-label': 'Versioning' }, (v || 'Never enabled') + (pick(c, 'objectLock') ? ', Object Lock' : '')),
              h('td', { 'data-label': 'Created' }, fmtDate(pick(c, 'created'))));
          }))));
    return h('section', { class: 'panel', 'aria-labelledby': 'containers-h' },
      h('h2', { id: 'containers-h' }, 'Containers'),
      h('p', { class: 'muted small' }, 'Objects and bytes count every stored version; noncurrent is the part held by older versions and delete markers.'),
      body);
  }

  function auditSection(audit) {
    const events = (audit && pick(audit, 'events')) || [];
    return h('section', { class: 'panel', 'aria-labelledby': 'audit-h' },
      h('h2', { id: 'audit-h' }, 'Audit log'),
      h('p', { class: 'muted small' }, `The tenant's ${AUDIT_PAGE} most recent events: console and operator actions, and containers created or deleted through S3.`),
      events.length === 0 ? h('p', { class: 'muted' }, 'No recorded activity.')
        : h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'tenant-audit' },
          h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Target', 'From'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, events.map((ev) => h('tr', { 'data-action': pick(ev, 'action') || '' },
            h('td', { 'data-label': 'When' }, fmtDate(pick(ev, 'time'))),
            h('td', { 'data-label': 'Who' }, pick(ev, 'actor') || ''),
            h('td', { 'data-label': 'Action' }, pick(ev, 'action') || ''),
            h('td', { 'data-label': 'Target', class: 'mono' }, pick(ev, 'target') || '',
              pick(ev, 'detail') ? h('span', { class: 'muted small' }, ` (${pick(ev, 'detail')})`) : null),
            h('td', { 'data-label': 'From', class: 'mono' }, pick(ev, 'remoteIP') || '')))))));
  }

  function dangerSection() {
    const del = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete tenant');
    del.addEventListener('click', async () => {
      const done = await openDialog('del-tenant-title', (dlg, close) => {
        const input = h('input', { id: 'confirm-tenant', type: 'text', autocomplete: 'off', spellcheck: 'false', autofocus: true });
        const go = h('button', { type: 'submit', class: 'btn btn-danger', disabled: true }, 'Delete tenant');
        const err = h('div', {});
        input.addEventListener('input', () => { go.disabled = input.value !== name; });
        const form = h('form', { novalidate: true },
          h('h2', { id: 'del-tenant-title' }, `Delete tenant ${name}?`),
          h('p', { class: 'alert alert-warn' }, 'This permanently removes all of the tenant\'s containers, objects, credentials, users and volume records. This action cannot be undone.'),
          h('div', { class: 'field' }, h('label', { for: 'confirm-tenant' }, 'Type ', h('span', { class: 'mono' }, name), ' to confirm'), input),
          err,
          h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'), go));
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          if (input.value !== name) return;
          try {
            await busy(go, 'Deleting…', () => api('DELETE', `${base}?confirm=${enc(input.value)}`));
            close(true);
          } catch (ex) { clear(err, errorBox(ex)); }
        });
        dlg.append(form);
      });
      if (done) { announce(`Tenant ${name} deleted.`); ctx.navigate('/admin/tenants'); }
    });
    return h('section', { class: 'panel', 'aria-labelledby': 'danger-h' },
      h('h2', { id: 'danger-h' }, 'Delete tenant'),
      h('p', { class: 'muted' }, 'Removes the tenant and everything it stores.'),
      del);
  }

  load();
}
