// uploads.js: a container's unfinished multipart uploads on the Shared
// Storage page: the summary cell of the containers table and the dialog that
// lists them (50 a page) with Abort per upload and Abort all.
import { api, enc } from './api.js';
import { h, clear, loading, errorBox, busy, fmtBytes, fmtNumber, fmtDate, openDialog, confirmDialog } from './dom.js';

// UPLOADS_NOTE says why unfinished uploads matter, wherever they are shown.
export const UPLOADS_NOTE = 'They count toward your quota; abort them or they stay.';

// fmtAge formats how long ago an API timestamp was: "3 days", "5 hours".
export function fmtAge(s, now = Date.now()) {
  const t = new Date(s).getTime();
  if (!s || Number.isNaN(t)) return '—';
  const mins = Math.max(0, Math.floor((now - t) / 60000));
  const unit = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (mins < 1) return 'under a minute';
  if (mins < 60) return unit(mins, 'minute');
  const hours = Math.floor(mins / 60);
  if (hours < 48) return unit(hours, 'hour');
  return unit(Math.floor(hours / 24), 'day');
}

// uploadsSummaryText is "2 unfinished uploads hold 4.2 KiB, oldest 3 days".
export function uploadsSummaryText(u) {
  const count = `${fmtNumber(u.count)}${u.partial ? '+' : ''}`;
  return `${count} unfinished ${Number(u.count) === 1 ? 'upload holds' : 'uploads hold'} ${fmtBytes(u.bytes)}, oldest ${fmtAge(u.oldest)}`;
}

// uploadsCell renders a container's uploads summary; onOpen opens the dialog.
export function uploadsCell(c, onOpen) {
  const u = c.uploads || {};
  if (!u.count && !u.partial) return h('span', { class: 'muted' }, 'None');
  const count = `${fmtNumber(u.count)}${u.partial ? '+' : ''}`;
  return h('div', { class: 'uploads-cell' },
    h('span', { 'data-uploads': String(u.count), 'data-upload-bytes': String(u.bytes || 0), title: uploadsSummaryText(u) },
      `${count} ${Number(u.count) === 1 ? 'upload' : 'uploads'} · ${fmtBytes(u.bytes)}`,
      h('span', { class: 'muted small block' }, u.partial ? 'too many to count here; View lists them all' : `oldest ${fmtAge(u.oldest)}`)),
    h('button', {
      type: 'button', class: 'btn btn-small', 'aria-label': `Unfinished uploads of ${c.name}`,
      onclick: (e) => onOpen(c, e.currentTarget),
    }, 'View / Abort'));
}

// uploadsDialog lists the container's unfinished uploads, a page at a time,
// with Abort per upload and Abort all. It resolves true when any was aborted.
export function uploadsDialog(name) {
  return openDialog('uploads-title', (dlg, close) => {
    let changed = false;
    const status = h('div', { role: 'status' });
    const list = h('div', {}, loading('Loading uploads…'));
    const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
    const abortAll = h('button', { type: 'button', class: 'btn btn-danger' }, 'Abort all');
    const tbody = h('tbody', {});
    let next = null; // {key, uploadId} of the next page

    const row = (u) => {
      const abort = h('button', {
        type: 'button', class: 'btn btn-small danger-text', 'aria-label': `Abort upload of ${u.key}`,
      }, 'Abort');
      const tr = h('tr', { 'data-upload': u.uploadId },
        h('th', { scope: 'row', class: 'mono' }, u.key),
        h('td', { 'data-label': 'Started', title: fmtDate(u.initiated) }, `${fmtAge(u.initiated)} ago`),
        h('td', { class: 'num', 'data-label': 'Parts' }, fmtNumber(u.parts)),
        h('td', { class: 'num', 'data-label': 'Size', title: `${fmtNumber(u.bytes)} bytes` }, fmtBytes(u.bytes)),
        h('td', { class: 'act' }, abort));
      abort.addEventListener('click', async () => {
        clear(status);
        try {
          await busy(abort, 'Aborting…', () => api('DELETE',
            `/api/containers/${enc(name)}/uploads?key=${enc(u.key)}&uploadId=${enc(u.uploadId)}`));
          changed = true;
          tr.remove();
          clear(status, h('div', { class: 'alert alert-ok' }, `Upload of ${u.key} aborted.`));
          if (!tbody.children.length && !next) showEmpty();
        } catch (err) {
          clear(status, errorBox(err));
        }
      });
      return tr;
    };

    const showEmpty = () => {
      clear(list, h('p', { class: 'empty' }, 'No unfinished uploads.'));
      abortAll.hidden = true;
      more.hidden = true;
    };

    async function loadPage() {
      const q = next ? `?key=${enc(next.key)}&uploadId=${enc(next.uploadId)}` : '';
      try {
        const page = await api('GET', `/api/containers/${enc(name)}/uploads${q}`);
        const ups = (page && page.uploads) || [];
        next = page && page.truncated ? { key: page.nextKey, uploadId: page.nextUploadId } : null;
        if (!tbody.children.length && ups.length === 0 && !next) return showEmpty();
        ups.forEach((u) => tbody.append(row(u)));
        if (!tbody.isConnected) {
          clear(list, h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
            h('caption', { class: 'sr-only' }, `Unfinished uploads in ${name}`),
            h('thead', {}, h('tr', {},
              h('th', { scope: 'col' }, 'Key'),
              h('th', { scope: 'col' }, 'Started'),
              h('th', { scope: 'col', class: 'num' }, 'Parts'),
              h('th', { scope: 'col', class: 'num' }, 'Size'),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
            tbody)));
        }
        more.hidden = !next;
      } catch (err) {
        clear(status, errorBox(err));
      }
    }

    more.addEventListener('click', () => busy(more, 'Loading…', loadPage));
    abortAll.addEventListener('click', async () => {
      let result = null;
      const ok = await confirmDialog({
        title: `Abort all unfinished uploads in ${name}?`,
        body: h('p', {}, 'Every unfinished multipart upload in this container is aborted and its parts are deleted. Clients still uploading them will fail. This cannot be undone.'),
        confirmLabel: 'Abort all',
        danger: true,
        action: async () => { result = await api('DELETE', `/api/containers/${enc(name)}/uploads?all=true`); },
      });
      if (!ok) { abortAll.focus(); return; }
      changed = true;
      const n = (result && result.aborted) || 0;
      clear(tbody);
      next = null;
      showEmpty();
      clear(status, h('div', { class: 'alert alert-ok' }, `${fmtNumber(n)} ${n === 1 ? 'upload' : 'uploads'} aborted.`));
    });

    dlg.classList.add('wide');
    dlg.append(h('div', { class: 'dialog-body' },
      h('h2', { id: 'uploads-title' }, `Unfinished uploads in ${name}`),
      h('p', { class: 'muted' }, `Multipart uploads that were started but never completed or aborted. ${UPLOADS_NOTE}`),
      status, list, more,
      h('div', { class: 'actions' }, abortAll,
        h('button', { type: 'button', class: 'btn', autofocus: true, onclick: () => close(changed) }, 'Close'))));
    dlg.addEventListener('cancel', () => { close(changed); });
    loadPage();
  });
}
