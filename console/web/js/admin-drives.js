// admin-drives.js: drive health (online/offline, free space, errors) and the
// background scrub/heal status, refreshed every 10 seconds.
import { h, fmtBytes, fmtNumber, fmtDate } from './dom.js';
import { pick, refreshingPage } from './admin-common.js';

const SCRUB_FIELDS = [
  ['running', 'Scrub running', (v) => (v ? 'Yes' : 'No')],
  ['progress', 'Progress of the current pass', (v) => `${Math.round((Number(v) || 0) * 100)}%`],
  ['lastScrubStarted', 'Last pass started', fmtDate],
  ['lastScrubDone', 'Last pass finished', fmtDate],
  ['objectsScanned', 'Objects scanned', fmtNumber],
  ['objectsHealed', 'Objects healed', fmtNumber],
  ['shardsRepaired', 'Shards repaired', fmtNumber],
  ['orphansRemoved', 'Orphans removed', fmtNumber],
  ['errors', 'Errors', fmtNumber],
  ['quorumFailures', 'Quorum failures', fmtNumber],
];

export function render(main, ctx) {
  return refreshingPage(main, ctx, { title: 'Drives', path: '/api/admin/drives', view, everyMs: 10000, what: 'drives' });
}

// drivesTable lists drives with state, free space and errors (also on the Overview).
export function drivesTable(drives, id) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id },
    h('caption', { class: 'sr-only' }, 'Drives'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'num' }, '#'),
      h('th', { scope: 'col' }, 'Path'),
      h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col' }, 'Free space'),
      h('th', { scope: 'col', class: 'num' }, 'Errors'))),
    h('tbody', {}, drives.map((d) => {
      const total = Number(pick(d, 'totalBytes')) || 0;
      const free = Number(pick(d, 'freeBytes')) || 0;
      const isOnline = pick(d, 'online');
      return h('tr', { 'data-drive': String(pick(d, 'index')) },
        h('td', { class: 'num', 'data-label': '#' }, String(pick(d, 'index'))),
        h('td', { class: 'mono', 'data-label': 'Path' }, pick(d, 'path') || ''),
        h('td', { 'data-label': 'State' }, isOnline
          ? h('span', { class: 'badge badge-ok' }, 'Online')
          : h('span', { class: 'badge badge-bad' }, 'Offline')),
        h('td', { 'data-label': 'Free space' }, total
          ? `${fmtBytes(free)} free of ${fmtBytes(total)} (${Math.round((free / total) * 100)}%)`
          : h('span', { class: 'muted' }, 'unknown')),
        h('td', { class: 'num', 'data-label': 'Errors' }, fmtNumber(pick(d, 'errors'))));
    }))));
}

function view(data) {
  const drives = pick(data, 'drives') || [];
  const scrub = pick(data, 'scrub') || {};
  const online = drives.filter((d) => pick(d, 'online')).length;
  const allOnline = online === drives.length;
  return [
    h('p', { class: `alert ${allOnline ? 'alert-ok' : 'alert-error'}`, id: 'drives-summary' },
      `${online} of ${drives.length} drives online.`),
    drivesTable(drives),
    h('section', { class: 'panel', 'aria-labelledby': 'scrub-h' },
      h('h2', { id: 'scrub-h' }, 'Scrub and heal'),
      h('p', { class: 'muted small' }, 'The background scanner checks every shard for bitrot, repairs damaged shards and removes orphans of interrupted writes.'),
      h('dl', { class: 'kv' }, SCRUB_FIELDS.flatMap(([key, label, fmt]) => {
        const v = pick(scrub, key);
        return v === undefined ? [] : [h('dt', {}, label), h('dd', {}, fmt(v))];
      }))),
  ];
}
