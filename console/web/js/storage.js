// storage.js: the Shared Storage page. Lists the tenant's containers (each
// name opens its object browser, browser.js) with their unfinished uploads, creates them ("Create Storage") and deletes them
// (force delete after typing the name when they hold objects).
import { api, enc } from './api.js';
import { bucketNameProblem } from './names.js';
import { h, clear, icon, loading, errorBox, busy, fmtBytes, fmtNumber, fmtDate, openDialog, confirmDialog } from './dom.js';
import { uploadsCell, uploadsDialog, uploadsSummaryText } from './uploads.js';
import { versioningCell, noncurrentText } from './versioning.js';

// FORCE_DELETE_WARNING is the product page's warning, word for word.
export const FORCE_DELETE_WARNING = 'Force-deleting a container permanently removes all objects inside it. This action cannot be undone.';

// storageHeader renders the page title and the Containers / Settings tabs.
export function storageHeader(active, actions) {
  return [
    h('div', { class: 'page-head' }, h('h1', {}, 'Shared Storage'), actions || null),
    h('nav', { class: 'tabs', 'aria-label': 'Shared Storage' },
      h('a', { href: '#/storage', 'aria-current': active === 'containers' ? 'page' : false }, 'Containers'),
      h('a', { href: '#/storage/settings', 'aria-current': active === 'settings' ? 'page' : false }, 'Settings')),
  ];
}

export function render(main, ctx) {
  ctx.setTitle('Shared Storage');
  const status = h('div', { role: 'status' });
  const body = h('div', {}, loading('Loading containers…'));
  const createBtn = h('button', { type: 'button', class: 'btn btn-primary' }, icon('plus'), 'Create Storage');
  clear(main, storageHeader('containers', createBtn),
    h('p', { class: 'muted' }, 'Your containers (S3 buckets) and their sizes.'),
    status, body);

  // status is a live region: screen readers hear its messages.
  const say = (msg, kind = 'ok') => clear(status, h('div', { class: `alert alert-${kind}` }, msg));

  async function load() {
    body.setAttribute('aria-busy', 'true');
    try {
      const data = await api('GET', '/api/containers');
      if (!ctx.alive()) return;
      clear(body, table((data && data.containers) || []));
    } catch (err) {
      if (!ctx.alive()) return;
      clear(body, errorBox(err), h('button', { type: 'button', class: 'btn', onclick: load }, 'Try again'));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  function table(list) {
    if (list.length === 0) {
      return h('p', { class: 'empty' }, 'No containers yet. Click Create Storage to make your first one.');
    }
    list.sort((a, b) => a.name.localeCompare(b.name));
    return h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
      h('caption', { class: 'sr-only' }, 'Containers'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col', class: 'num' }, 'Objects'),
        h('th', { scope: 'col', class: 'num' }, 'Size'),
        h('th', { scope: 'col' }, 'Versioning'),
        h('th', { scope: 'col' }, 'Unfinished uploads'),
        h('th', { scope: 'col' }, 'Created'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, list.map((c) => h('tr', { 'data-container': c.name },
        h('th', { scope: 'row', class: 'mono' }, h('a', { href: `#/storage/c/${enc(c.name)}` }, c.name)),
        h('td', { class: 'num', 'data-label': 'Objects' }, fmtNumber(c.objects)),
        h('td', { class: 'num', 'data-label': 'Size', title: `${fmtNumber(c.bytes)} bytes` }, fmtBytes(c.bytes)),
        h('td', { 'data-label': 'Versioning', class: 'versioning' }, versioningCell(c, changed)),
        h('td', { 'data-label': 'Unfinished uploads', class: 'uploads' }, uploadsCell(c, openUploads)),
        h('td', { 'data-label': 'Created' }, fmtDate(c.created)),
        // A button, not a link: the container's name is its one link.
        h('td', { class: 'act' }, h('button', {
          type: 'button', class: 'btn btn-small', 'aria-label': `Settings of ${c.name}`, title: 'Public access, policy and lifecycle',
          onclick: () => ctx.navigate(`/storage/c/${enc(c.name)}/settings`),
        }, 'Settings'), h('button', {
          type: 'button', class: 'btn icon-btn danger', 'aria-label': `Delete ${c.name}`, title: `Delete ${c.name}`,
          onclick: (e) => remove(c, e.currentTarget),
        }, icon('trash'))))))));
  }

  async function changed(msg) {
    say(msg);
    await load();
  }

  async function openUploads(c, button) {
    clear(status);
    const aborted = await uploadsDialog(c.name);
    if (aborted) await load();
    else if (button.isConnected) button.focus();
  }

  async function remove(c, button) {
    clear(status);
    // No objects but unfinished uploads: a plain delete aborts them (as
    // S3's DeleteBucket does), so ask first, but this is no Force Delete.
    const u = c.uploads || {};
    if (Number(c.objects) === 0 && u.count) {
      const ok = await confirmDialog({
        title: `Delete container ${c.name}?`,
        body: h('p', {}, `The container holds no objects. Its ${uploadsSummaryText(u)}; deleting the container aborts them.`),
        confirmLabel: 'Delete',
        danger: true,
        action: () => api('DELETE', `/api/containers/${enc(c.name)}`),
      });
      if (ok) {
        say(`Container ${c.name} deleted; its unfinished uploads were aborted.`);
        await load();
      } else if (button.isConnected) {
        button.focus();
      }
      return;
    }
    try {
      await busy(button, '', () => api('DELETE', `/api/containers/${enc(c.name)}`));
      say(`Container ${c.name} deleted.`);
      await load();
    } catch (err) {
      if (err.status !== 409) {
        clear(status, errorBox(err));
        return;
      }
      const objects = err.data.objects ?? c.objects;
      const bytes = err.data.bytes ?? c.bytes;
      const done = await forceDeleteDialog(c.name, objects, bytes, Number(c.noncurrentObjects) > 0 ? noncurrentText(c) : '');
      if (done) {
        say(`Container ${c.name} and all its objects deleted.`);
        await load();
      } else {
        button.focus();
      }
    }
  }

  createBtn.addEventListener('click', async () => {
    const name = await createDialog();
    if (name) {
      say(`Container ${name} created.`);
      await load();
    }
    createBtn.focus();
  });

  load();
}

// createDialog asks for a container name, validating it as the user types,
// and creates it. It resolves with the name, or undefined when cancelled.
function createDialog() {
  return openDialog('create-title', (dlg, close) => {
    const input = h('input', {
      id: 'container-name', name: 'name', type: 'text', autocomplete: 'off', spellcheck: 'false',
      autocapitalize: 'none', 'aria-describedby': 'container-name-rules container-name-error', autofocus: true,
    });
    const problem = h('p', { id: 'container-name-error', class: 'field-error', 'aria-live': 'polite' });
    const err = h('div', {});
    const create = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create');
    let touched = false;
    const check = () => {
      const p = bucketNameProblem(input.value);
      const show = touched || input.value.length >= 3;
      problem.textContent = show ? p : '';
      input.setAttribute('aria-invalid', show && p ? 'true' : 'false');
      return p;
    };
    input.addEventListener('input', () => { clear(err); check(); });
    input.addEventListener('blur', () => { if (input.value) { touched = true; check(); } });
    const form = h('form', { novalidate: true },
      h('h2', { id: 'create-title' }, 'Create Storage'),
      h('div', { class: 'field' },
        h('label', { for: 'container-name' }, 'Container name'),
        input,
        h('p', { id: 'container-name-rules', class: 'field-hint' },
          '3–63 characters: lower-case letters, digits, hyphens and dots; start and end with a letter or digit.'),
        problem),
      err,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
        create));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      touched = true;
      if (check()) { input.focus(); return; }
      clear(err);
      try {
        const name = input.value;
        await busy(create, 'Creating…', () => api('POST', '/api/containers', { name }));
        close(name);
      } catch (ex) {
        clear(err, errorBox(ex));
        input.focus();
      }
    });
    dlg.append(form);
  });
}

// forceDeleteDialog asks the user to type the container name before removing
// it with all its objects. It resolves true when the container was deleted.
function forceDeleteDialog(name, objects, bytes, noncurrent) {
  return openDialog('force-title', (dlg, close) => {
    const input = h('input', {
      id: 'confirm-name', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none',
      'aria-describedby': 'force-warning', autofocus: true,
    });
    const go = h('button', { type: 'submit', class: 'btn btn-danger', disabled: true }, 'Force Delete');
    const err = h('div', {});
    input.addEventListener('input', () => { go.disabled = input.value !== name; });
    const form = h('form', { novalidate: true },
      h('h2', { id: 'force-title' }, `Delete container ${name}?`),
      h('p', {}, 'This container still has objects: ',
        h('strong', {}, `${fmtNumber(objects)} ${Number(objects) === 1 ? 'object' : 'objects'}`),
        `, ${fmtBytes(bytes)}${noncurrent ? ` (every version counted: ${noncurrent})` : ''}.`),
      h('p', { id: 'force-warning', class: 'alert alert-warn' }, h('strong', {}, 'Warning: '), FORCE_DELETE_WARNING),
      h('div', { class: 'field' },
        h('label', { for: 'confirm-name' }, 'Type ', h('span', { class: 'mono' }, name), ' to confirm'),
        input),
      err,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
        go));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (input.value !== name) return;
      clear(err);
      try {
        await busy(go, 'Deleting…', () => api('DELETE', `/api/containers/${enc(name)}?force=true&confirm=${enc(input.value)}`));
        close(true);
      } catch (ex) {
        clear(err, errorBox(ex));
        go.disabled = input.value !== name;
      }
    });
    dlg.append(form);
  });
}
