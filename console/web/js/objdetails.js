// objdetails.js: one object's details in the object browser: ETag,
// checksums, size, content type, user metadata, tags, retention and legal
// hold, its versions (download, restore or delete one) when the container is
// versioned, "Share link", a presigned S3 URL with a chosen expiry, and the
// public URL when the container is public.
import { api, enc } from './api.js';
import { h, clear, loading, errorBox, busy, fmtBytes, fmtNumber, fmtDate, openDialog, confirmDialog, copyField } from './dom.js';

// SHARE_EXPIRIES are the offered lifetimes of a share link; 7 days is S3's maximum.
export const SHARE_EXPIRIES = [
  ['1 hour', 3600], ['1 day', 86400], ['3 days', 3 * 86400], ['7 days', 7 * 86400],
];

// downloadURL is the console's streamed download of key (a version when vid is set).
export function downloadURL(container, key, vid) {
  return `/api/containers/${enc(container)}/object?key=${enc(key)}${vid ? `&versionId=${enc(vid)}` : ''}`;
}

function dl(rows) {
  return h('dl', { class: 'details' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function mapList(m, empty) {
  const entries = Object.entries(m || {});
  if (!entries.length) return h('span', { class: 'muted' }, empty);
  return h('ul', { class: 'kv' }, entries.map(([k, v]) => h('li', {}, h('span', { class: 'mono' }, k), ' = ', h('span', { class: 'mono' }, v))));
}

// shareSection offers the expiries and shows the link with a copy button.
export function shareSection(container, key, vid) {
  const id = `share-expiry-${Math.random().toString(36).slice(2)}`;
  const select = h('select', { id }, SHARE_EXPIRIES.map(([label, secs]) => h('option', { value: String(secs) }, label)));
  const out = h('div', {});
  const make = h('button', { type: 'button', class: 'btn' }, 'Create share link');
  make.addEventListener('click', async () => {
    clear(out);
    try {
      const res = await busy(make, 'Creating…', () => api('POST', `/api/containers/${enc(container)}/object/share`,
        { key, versionId: vid || '', expiresSeconds: Number(select.value) }));
      clear(out, copyField('share-url', 'Share link', res.url),
        h('p', { class: 'field-hint' }, `Anyone with the link can download this ${vid ? 'version' : 'object'} until ${fmtDate(res.expires)}. `
          + `It is signed with your S3 access key ${res.accessKey}: rotating or deleting that key revokes the link.`));
    } catch (err) {
      clear(out, errorBox(err));
    }
  });
  return h('section', { class: 'share' },
    h('h3', {}, 'Share link'),
    h('div', { class: 'inline-form' }, h('label', { for: id }, 'Expires after'), select, make),
    out);
}

// versionsSection lists the versions of key, 100 at a time, each with
// Download, Restore (a copy becomes the current version) and Delete (for good).
function versionsSection(container, key, onChanged) {
  const status = h('div', { role: 'status' });
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, 'More versions');
  let marker = '';
  const row = (v) => {
    const del = h('button', { type: 'button', class: 'btn btn-small danger-text', 'aria-label': `Delete version ${v.versionId}` }, 'Delete');
    const restore = v.isLatest || v.deleteMarker ? null
      : h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Restore version ${v.versionId}` }, 'Restore');
    if (restore) {
      restore.addEventListener('click', async () => {
        try {
          const o = await busy(restore, 'Restoring…', () => api('POST', `/api/containers/${enc(container)}/object/restore`, { key, versionId: v.versionId }));
          clear(status, h('div', { class: 'alert alert-ok' }, `Version ${v.versionId} restored as the current version ${o.versionId}.`));
          onChanged();
          reload();
        } catch (err) {
          clear(status, errorBox(err));
        }
      });
    }
    const tr = h('tr', { 'data-version': v.versionId },
      h('td', { class: 'mono' }, v.versionId, v.isLatest ? h('span', { class: 'badge' }, 'current') : null),
      h('td', {}, v.deleteMarker ? h('em', {}, 'delete marker') : fmtBytes(v.size)),
      h('td', {}, fmtDate(v.modified)),
      h('td', { class: 'act' },
        v.deleteMarker ? null : h('a', { class: 'btn btn-small', href: downloadURL(container, key, v.versionId), download: '', 'aria-label': `Download version ${v.versionId}` }, 'Download'),
        restore, del));
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: `Delete version ${v.versionId} of ${key}?`,
        body: h('p', {}, 'The version is removed for good; the other versions stay. This cannot be undone.'),
        confirmLabel: 'Delete version', danger: true,
        action: () => api('DELETE', `${downloadURL(container, key, v.versionId)}`),
      });
      if (ok) {
        tr.remove();
        clear(status, h('div', { class: 'alert alert-ok' }, `Version ${v.versionId} deleted.`));
        onChanged();
      }
    });
    return tr;
  };
  async function load() {
    try {
      const page = await api('GET', `/api/containers/${enc(container)}/object/versions?key=${enc(key)}${marker ? `&versionIdMarker=${enc(marker)}` : ''}`);
      page.versions.forEach((v) => tbody.append(row(v)));
      marker = page.truncated ? page.nextVersionIdMarker : '';
      more.hidden = !marker;
    } catch (err) {
      clear(status, errorBox(err));
    }
  }
  function reload() {
    clear(tbody);
    marker = '';
    load();
  }
  more.addEventListener('click', () => busy(more, 'Loading…', load));
  load();
  return h('section', { class: 'versions' },
    h('h3', {}, 'Versions'), status,
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Size'),
        h('th', { scope: 'col' }, 'Modified'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      tbody)),
    more);
}

// detailsDialog shows key's details; it resolves true when a version was deleted.
export function detailsDialog(container, key) {
  return openDialog('details-title', (dlg, close) => {
    let changed = false;
    const body = h('div', {}, loading('Loading details…'));
    dlg.classList.add('wide');
    dlg.append(h('div', { class: 'dialog-body' },
      h('h2', { id: 'details-title', class: 'break' }, key),
      body,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', autofocus: true, onclick: () => close(changed) }, 'Close'))));
    dlg.addEventListener('cancel', () => close(changed));
    (async () => {
      try {
        const [d, pol] = await Promise.all([
          api('GET', `/api/containers/${enc(container)}/object/info?key=${enc(key)}`),
          // Only to show the public URL: a failure here hides it, nothing more.
          api('GET', `/api/containers/${enc(container)}/policy`).catch(() => null),
        ]);
        const sums = Object.entries(d.checksums || {}).map(([k, v]) => `${k} ${v}`).join(', ');
        const ret = d.retention ? `${d.retention.mode} until ${fmtDate(d.retention.until)}` : null;
        clear(body,
          dl([
            ['Size', `${fmtBytes(d.size)} (${fmtNumber(d.size)} bytes)`],
            ['Last modified', fmtDate(d.modified)],
            ['Content type', d.contentType || '—'],
            ['ETag', h('span', { class: 'mono', 'data-etag': d.etag }, d.etag)],
            ['Checksums', sums ? h('span', { class: 'mono' }, `${sums}${d.checksumType ? ` (${d.checksumType})` : ''}`) : h('span', { class: 'muted' }, 'none stored')],
            d.partsCount ? ['Parts', fmtNumber(d.partsCount)] : null,
            d.versionId && d.versionId !== 'null' ? ['Version', h('span', { class: 'mono' }, d.versionId)] : null,
            ['User metadata', mapList(d.userMeta, 'none')],
            ['Tags', mapList(d.tags, 'none')],
            d.objectLock || ret ? ['Retention', ret || h('span', { class: 'muted' }, 'none')] : null,
            d.objectLock || d.legalHold ? ['Legal hold', d.legalHold ? 'ON' : 'off'] : null,
          ]),
          h('p', {}, h('a', { class: 'btn', href: downloadURL(container, key), download: '' }, 'Download')),
          pol && pol.public ? copyField('public-url', 'Public URL', pol.publicURL + key.split('/').map(enc).join('/')) : null,
          shareSection(container, key, ''),
          d.versioning ? versionsSection(container, key, () => { changed = true; }) : null);
      } catch (err) {
        clear(body, errorBox(err));
      }
    })();
  });
}
