// browser.js: the object browser of one container (#/storage/c/NAME). A page
// of objects and folders (delimiter "/") at a time, continued by the
// server's cursor, so a container of any size lists as fast as a small one;
// sorting applies to the loaded page. Upload (picker, folder picker, drag
// and drop), download, delete (one or selected), create folder, details.
import { api, enc } from './api.js';
import { h, clear, icon, loading, errorBox, busy, fmtBytes, fmtNumber, fmtDate, openDialog, confirmDialog } from './dom.js';
import { uploadQueue, droppedFiles, keyProblem } from './transfer.js';
import { detailsDialog, downloadURL } from './objdetails.js';

const PAGE_SIZES = [100, 200, 500, 1000];

// prefixFromHash reads ?prefix= of the page's hash.
function prefixFromHash() {
  const q = location.hash.split('?')[1] || '';
  return new URLSearchParams(q).get('prefix') || '';
}

export function render(main, ctx) {
  const container = ctx.params[0];
  ctx.setTitle(container);
  let prefix = prefixFromHash();
  let filter = '';
  let pageSize = 200;
  let cursors = ['']; // cursors[i] starts page i
  let pageIndex = 0;
  let rows = { objects: [], prefixes: [] };
  let sort = { by: 'name', dir: 1 };
  const selected = new Set();

  const status = h('div', { role: 'status' });
  const say = (msg, kind = 'ok') => clear(status, h('div', { class: `alert alert-${kind}` }, msg));
  const crumbs = h('nav', { class: 'breadcrumbs', 'aria-label': 'Folder' });
  const listEl = h('div', { class: 'object-list', 'aria-live': 'polite' }, loading('Loading objects…'));
  const pager = h('div', { class: 'pager' });
  const queue = uploadQueue(container, () => scheduleReload());

  const fileInput = h('input', { type: 'file', multiple: true, id: 'upload-files', class: 'sr-only', tabindex: '-1' });
  const folderInput = h('input', { type: 'file', multiple: true, webkitdirectory: true, id: 'upload-folder', class: 'sr-only', tabindex: '-1' });
  const uploadBtn = h('button', { type: 'button', class: 'btn btn-primary' }, icon('plus'), 'Upload files');
  const folderBtn = h('button', { type: 'button', class: 'btn' }, 'Upload folder');
  const mkdirBtn = h('button', { type: 'button', class: 'btn' }, 'Create folder');
  const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger', disabled: true }, 'Delete selected');
  const refreshBtn = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const filterInput = h('input', { id: 'object-filter', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'Name starts with…' });
  const sizeSelect = h('select', { id: 'page-size' }, PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === pageSize }, String(n))));
  const drop = h('div', { class: 'dropzone', 'data-dropzone': '' },
    h('p', { class: 'muted small' }, 'Drop files or folders here to upload them into this folder.'), listEl);

  clear(main,
    h('div', { class: 'page-head' }, h('h1', { class: 'break' }, container),
      h('a', { class: 'btn', href: `#/storage/c/${enc(container)}/settings` }, 'Container settings')),
    crumbs,
    h('div', { class: 'toolbar' }, uploadBtn, folderBtn, mkdirBtn, deleteBtn, refreshBtn, fileInput, folderInput),
    h('div', { class: 'toolbar' },
      h('label', { for: 'object-filter' }, 'Filter'), filterInput,
      h('label', { for: 'page-size' }, 'Per page'), sizeSelect),
    status, queue.el, drop, pager);

  function setHash() {
    const q = prefix ? `?prefix=${enc(prefix)}` : '';
    history.replaceState(null, '', `#/storage/c/${enc(container)}${q}`);
  }

  function renderCrumbs() {
    const parts = prefix.split('/').filter((p, i, a) => i < a.length - 1 || p);
    const items = [h('li', {}, h('a', { href: '#/storage' }, 'Containers')),
      h('li', {}, h('button', { type: 'button', class: 'linkish', onclick: () => open('') }, container))];
    let acc = '';
    parts.forEach((p, i) => {
      acc += `${p}/`;
      const target = acc;
      items.push(h('li', {}, i === parts.length - 1
        ? h('span', { 'aria-current': 'location' }, p)
        : h('button', { type: 'button', class: 'linkish', onclick: () => open(target) }, p)));
    });
    clear(crumbs, h('ol', {}, items));
  }

  // open shows folder p from its first page.
  function open(p) {
    prefix = p;
    filter = '';
    filterInput.value = '';
    cursors = [''];
    pageIndex = 0;
    setHash();
    renderCrumbs();
    load();
  }

  // A container that does not exist (a stale link, a typo in the address)
  // is told by the tenant's container list before the first listing, not by
  // a 404 of the listing, which the browser would log in its console.
  let known = false;
  async function containerExists() {
    if (known) return true;
    const data = await api('GET', '/api/containers');
    known = (data.containers || []).some((c) => c.name === container);
    return known;
  }

  function showMissing() {
    clear(main,
      h('div', { class: 'page-head' }, h('h1', { class: 'break' }, container)),
      h('div', { class: 'alert alert-error', role: 'alert' },
        `There is no container named "${container}". It may have been deleted, or the address is mistyped.`),
      h('a', { class: 'btn', href: '#/storage' }, 'Back to containers'));
  }

  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    listEl.setAttribute('aria-busy', 'true');
    selected.clear();
    updateSelection();
    try {
      if (!(await containerExists())) {
        if (ctx.alive() && seq === loadSeq) showMissing();
        return;
      }
      const q = `prefix=${enc(prefix + filter)}&limit=${pageSize}&after=${enc(cursors[pageIndex])}`;
      const page = await api('GET', `/api/containers/${enc(container)}/objects?${q}`);
      if (!ctx.alive() || seq !== loadSeq) return;
      rows = { objects: page.objects || [], prefixes: page.prefixes || [] };
      cursors = cursors.slice(0, pageIndex + 1);
      if (page.truncated) cursors.push(page.next);
      renderList();
    } catch (err) {
      if (!ctx.alive() || seq !== loadSeq) return;
      clear(listEl, errorBox(err), h('button', { type: 'button', class: 'btn', onclick: load }, 'Try again'));
    } finally {
      listEl.removeAttribute('aria-busy');
    }
  }

  let reloadTimer = 0;
  function scheduleReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => { if (ctx.alive()) load(); }, 300);
  }

  const name = (key) => key.slice(prefix.length);

  function sorted() {
    const objs = rows.objects.slice();
    const f = {
      name: (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      size: (a, b) => a.size - b.size,
      modified: (a, b) => new Date(a.modified) - new Date(b.modified),
      type: (a, b) => (a.contentType || '').localeCompare(b.contentType || ''),
    }[sort.by];
    objs.sort((a, b) => sort.dir * f(a, b) || (a.key < b.key ? -1 : 1));
    const dirs = rows.prefixes.slice();
    if (sort.by === 'name' && sort.dir < 0) dirs.reverse();
    return { dirs, objs };
  }

  function header(label, by, cls) {
    const active = sort.by === by;
    const btn = h('button', { type: 'button', class: 'sort', 'data-sort': by },
      label, active ? (sort.dir > 0 ? ' ▲' : ' ▼') : '');
    btn.addEventListener('click', () => {
      sort = { by, dir: active ? -sort.dir : 1 };
      renderList();
    });
    return h('th', { scope: 'col', class: cls || null, 'aria-sort': active ? (sort.dir > 0 ? 'ascending' : 'descending') : null }, btn);
  }

  function renderList() {
    const { dirs, objs } = sorted();
    const count = dirs.length + objs.length;
    if (count === 0 && pageIndex === 0) {
      clear(listEl, h('p', { class: 'empty', 'data-count': '0' }, filter
        ? `Nothing here starts with ${filter}.`
        : 'This folder is empty. Upload files or drop them here.'));
    } else {
      const all = h('input', { type: 'checkbox', 'aria-label': 'Select all objects on this page' });
      all.addEventListener('change', () => {
        objs.forEach((o) => (all.checked ? selected.add(o.key) : selected.delete(o.key)));
        listEl.querySelectorAll('input[data-select]').forEach((cb) => { cb.checked = all.checked; });
        updateSelection();
      });
      clear(listEl, h('div', { class: 'table-wrap' }, h('table', { class: 'stack objects', 'data-count': String(count), 'data-page': String(pageIndex + 1) },
        h('caption', { class: 'sr-only' }, `Objects in ${container}/${prefix}`),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', class: 'sel' }, all),
          header('Name', 'name'), header('Size', 'size', 'num'), header('Last modified', 'modified'), header('Type', 'type'),
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {},
          dirs.map((p) => h('tr', { 'data-prefix': p },
            h('td', { class: 'sel' }),
            h('th', { scope: 'row' }, h('button', { type: 'button', class: 'linkish folder', onclick: () => open(p) }, icon('folder'), name(p))),
            h('td', { class: 'num', 'data-label': 'Size' }, '—'), h('td', {}, ''), h('td', { 'data-label': 'Type' }, 'Folder'), h('td', {}))),
          objs.map((o) => objectRow(o))))));
    }
    clear(pager,
      h('button', { type: 'button', class: 'btn', disabled: pageIndex === 0, onclick: () => { pageIndex--; load(); } }, 'Previous page'),
      h('span', { class: 'muted', 'data-page-label': '' }, `Page ${fmtNumber(pageIndex + 1)} · ${fmtNumber(count)} ${count === 1 ? 'entry' : 'entries'}`),
      h('button', { type: 'button', class: 'btn', disabled: cursors.length <= pageIndex + 1, onclick: () => { pageIndex++; load(); } }, 'Next page'));
  }

  function objectRow(o) {
    const cb = h('input', { type: 'checkbox', 'data-select': '', 'aria-label': `Select ${o.key}`, checked: selected.has(o.key) });
    cb.addEventListener('change', () => { if (cb.checked) selected.add(o.key); else selected.delete(o.key); updateSelection(); });
    const del = h('button', { type: 'button', class: 'btn icon-btn danger', 'aria-label': `Delete ${o.key}`, title: 'Delete' }, icon('trash'));
    del.addEventListener('click', () => removeKeys([o.key], del));
    const details = h('button', { type: 'button', class: 'linkish mono' }, name(o.key) || '(folder marker)');
    details.addEventListener('click', async () => {
      const changed = await detailsDialog(container, o.key);
      if (changed) load();
    });
    return h('tr', { 'data-key': o.key },
      h('td', { class: 'sel' }, cb),
      h('th', { scope: 'row' }, details),
      h('td', { class: 'num', 'data-label': 'Size', title: `${fmtNumber(o.size)} bytes` }, fmtBytes(o.size)),
      h('td', { 'data-label': 'Last modified' }, fmtDate(o.modified)),
      h('td', { 'data-label': 'Type', class: 'small' }, o.contentType || '—'),
      h('td', { class: 'act' },
        h('a', { class: 'btn btn-small', href: downloadURL(container, o.key), download: '', 'aria-label': `Download ${o.key}` }, 'Download'),
        del));
  }

  function updateSelection() {
    deleteBtn.disabled = selected.size === 0;
    deleteBtn.textContent = selected.size ? `Delete selected (${selected.size})` : 'Delete selected';
  }

  async function removeKeys(keys, button) {
    clear(status);
    let result = null;
    const ok = await confirmDialog({
      title: keys.length === 1 ? `Delete ${keys[0]}?` : `Delete ${fmtNumber(keys.length)} objects?`,
      body: [h('p', {}, keys.length === 1 ? 'The object is deleted.' : 'These objects are deleted:'),
        keys.length > 1 ? h('ul', { class: 'keys mono small' }, keys.slice(0, 20).map((k) => h('li', {}, k)), keys.length > 20 ? h('li', {}, `and ${keys.length - 20} more`) : null) : null,
        h('p', { class: 'muted small' }, 'In a versioned container a delete keeps the old versions (a delete marker hides them); otherwise this cannot be undone.')],
      confirmLabel: 'Delete', danger: true,
      action: async () => { result = await api('POST', `/api/containers/${enc(container)}/objects/delete`, { keys }); },
    });
    if (!ok) { if (button && button.isConnected) button.focus(); return; }
    const failed = (result.results || []).filter((r) => r.error);
    if (failed.length) {
      say(`${fmtNumber(result.deleted)} deleted; ${failed.length} could not be deleted: ${failed.map((f) => `${f.key}: ${f.error}`).join('; ')}`, 'error');
    } else {
      say(`${fmtNumber(result.deleted)} ${result.deleted === 1 ? 'object' : 'objects'} deleted.`);
    }
    await load();
  }

  function enqueue(items) {
    clear(status);
    queue.add(items.map(({ file, path }) => ({ file, key: prefix + path })));
  }

  uploadBtn.addEventListener('click', () => fileInput.click());
  folderBtn.addEventListener('click', () => folderInput.click());
  fileInput.addEventListener('change', () => {
    enqueue(Array.from(fileInput.files).map((f) => ({ file: f, path: f.name })));
    fileInput.value = '';
  });
  folderInput.addEventListener('change', () => {
    enqueue(Array.from(folderInput.files).map((f) => ({ file: f, path: f.webkitRelativePath || f.name })));
    folderInput.value = '';
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    enqueue(await droppedFiles(e.dataTransfer));
  });
  deleteBtn.addEventListener('click', () => removeKeys([...selected], deleteBtn));
  refreshBtn.addEventListener('click', () => busy(refreshBtn, '', load));
  mkdirBtn.addEventListener('click', async () => {
    const made = await folderDialog(container, prefix);
    if (made) { say(`Folder ${made} created.`); open(made); }
  });
  let filterTimer = 0;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => { filter = filterInput.value; cursors = ['']; pageIndex = 0; load(); }, 250);
  });
  sizeSelect.addEventListener('change', () => { pageSize = Number(sizeSelect.value); cursors = ['']; pageIndex = 0; load(); });

  const warn = (e) => { if (queue.busy()) { e.preventDefault(); e.returnValue = ''; } };
  window.addEventListener('beforeunload', warn);
  renderCrumbs();
  load();
  return () => {
    window.removeEventListener('beforeunload', warn);
    clearTimeout(reloadTimer);
    queue.cancelAll(); // leaving the page: no upload keeps parts behind
  };
}

// folderDialog asks for a folder name and creates "prefix/name/".
function folderDialog(container, prefix) {
  return openDialog('mkdir-title', (dlg, close) => {
    const input = h('input', { id: 'folder-name', type: 'text', autocomplete: 'off', spellcheck: 'false', autofocus: true });
    const err = h('div', {});
    const go = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create');
    const form = h('form', { novalidate: true },
      h('h2', { id: 'mkdir-title' }, 'Create folder'),
      h('div', { class: 'field' }, h('label', { for: 'folder-name' }, 'Folder name'), input,
        h('p', { class: 'field-hint' }, `Created in ${container}/${prefix} as an empty object whose name ends in "/", as S3 consoles do.`)),
      err,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'), go));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = input.value.replace(/^\/+|\/+$/g, '');
      const key = `${prefix}${name}/`;
      const problem = !name || key.includes('//') ? 'invalid folder name: it must not be empty or hold an empty segment (//)' : keyProblem(key);
      if (problem) { clear(err, errorBox(problem)); return; }
      try {
        await busy(go, 'Creating…', () => api('POST', `/api/containers/${enc(container)}/folders`, { key }));
        close(key);
      } catch (ex) {
        clear(err, errorBox(ex));
      }
    });
    dlg.append(form);
  });
}
