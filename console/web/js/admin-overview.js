// admin-overview.js: the operator's first page: version, uptime, capacity,
// drives with heal progress, tenants, the last hour of S3 requests and
// errors as an inline SVG chart, and the top tenants by bytes. Refreshed
// every 30 seconds while visible.
import { enc } from './api.js';
import { h, fmtBytes, fmtNumber, fmtDate } from './dom.js';
import { pick, refreshingPage } from './admin-common.js';
import { drivesTable } from './admin-drives.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

export function render(main, ctx) {
  return refreshingPage(main, ctx, { title: 'Overview', path: '/api/admin/overview', view, everyMs: 30000, what: 'overview' });
}

function view(d) {
  return [
    summary(d),
    pick(d, 'cluster') ? clusterSection(pick(d, 'cluster')) : null,
    drivesSection(pick(d, 'drives') || [], pick(d, 'scrub') || {}, pick(d, 'ready')),
    requestsSection(pick(d, 'requests') || []),
    topTenantsSection(pick(d, 'topTenants') || [], pick(d, 'tenants')),
  ];
}

// plural is "1 object", "2 objects".
function plural(n, word) {
  return `${fmtNumber(n)} ${word}${Number(n) === 1 ? '' : 's'}`;
}

// uptime renders seconds as "3d 4h", "5h 12m" or "42 s".
export function uptime(secs) {
  secs = Math.max(0, Math.floor(Number(secs) || 0));
  if (secs < 60) return `${secs} s`;
  const days = Math.floor(secs / 86400);
  const hours = Math.floor((secs % 86400) / 3600);
  const mins = Math.floor((secs % 3600) / 60);
  if (days) return `${days}d ${hours}h`;
  return `${hours}h ${mins}m`;
}

function summary(d) {
  const cap = pick(d, 'capacity') || {};
  const usable = Number(pick(cap, 'usableBytes')) || 0;
  const used = Number(pick(cap, 'usedBytes')) || 0;
  const suspended = Number(pick(d, 'suspendedTenants')) || 0;
  const item = (id, label, value, note) => h('div', { class: 'stat', id },
    h('p', { class: 'stat-label' }, label),
    h('p', { class: 'stat-value' }, value),
    note ? h('p', { class: 'muted small' }, note) : null);
  const version = String(pick(d, 'version') || 'unknown');
  const layout = `${fmtNumber(pick(cap, 'dataShards'))} data + ${fmtNumber(pick(cap, 'parityShards'))} parity shards`;
  return h('section', { class: 'panel', 'aria-labelledby': 'server-h' },
    h('h2', { id: 'server-h' }, 'Server'),
    h('div', { class: 'stats' },
      item('ov-version', 'Version', version.split(' (')[0], version.includes(' (') ? version.slice(version.indexOf(' (') + 2, -1) : null),
      item('ov-uptime', 'Uptime', uptime(pick(d, 'uptimeSeconds')), `since ${fmtDate(pick(d, 'started'))}`),
      item('ov-tenants', 'Tenants', fmtNumber(pick(d, 'tenants')),
        `${suspended ? `${fmtNumber(suspended)} suspended · ` : ''}${plural(pick(d, 'objects'), 'object')}`),
      item('ov-raw', 'Raw capacity', fmtBytes(pick(cap, 'rawBytes')), `${fmtBytes(pick(cap, 'rawFreeBytes'))} free on the drives`),
      item('ov-usable', 'Usable capacity', fmtBytes(usable), `${layout}; ${fmtBytes(pick(cap, 'usableFreeBytes'))} free`),
      item('ov-used', 'Stored by tenants', fmtBytes(used),
        usable ? `${Math.round((used / usable) * 1000) / 10}% of usable` : null)));
}

// clusterSection is cluster mode's nodes: state, S3 endpoint, drives, when
// last seen, which one leads the background jobs, and the leader's heal.
function clusterSection(c) {
  const nodes = pick(c, 'nodes');
  if (!Array.isArray(nodes)) {
    return h('section', { class: 'panel', 'aria-labelledby': 'ov-cluster-h' },
      h('h2', { id: 'ov-cluster-h' }, 'Cluster'),
      h('p', { class: 'alert alert-error', id: 'ov-cluster-summary' }, 'This node cannot reach etcd: writes are refused until its quorum is back.'));
  }
  const up = nodes.filter((n) => pick(n, 'state') === 'up').length;
  const layout = pick(c, 'layout') || {};
  const heal = pick(c, 'heal');
  let healText = 'No heal pass yet.';
  if (heal && pick(heal, 'running')) {
    healText = `${pick(heal, 'leader')} is healing (${pick(heal, 'reason')}): ${Math.round((Number(pick(heal, 'progress')) || 0) * 100)}% done, `
      + `${plural(pick(heal, 'shardsRepaired'), 'shard')} repaired.`;
  } else if (heal) {
    healText = `Last heal pass (${pick(heal, 'reason')}) finished ${fmtDate(pick(heal, 'done'))}: `
      + `${plural(pick(heal, 'shardsRepaired'), 'shard')} repaired, ${plural(pick(heal, 'errors'), 'error')}.`;
  }
  return h('section', { class: 'panel', 'aria-labelledby': 'ov-cluster-h' },
    h('h2', { id: 'ov-cluster-h' }, 'Cluster'),
    h('p', { class: `alert ${up === nodes.length ? 'alert-ok' : 'alert-error'}`, id: 'ov-cluster-summary' },
      `${up} of ${nodes.length} nodes up; erasure set ${fmtNumber(pick(layout, 'data'))} data + ${fmtNumber(pick(layout, 'parity'))} parity shards.`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'ov-cluster' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Node'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'S3 endpoint'),
        h('th', { scope: 'col', class: 'num' }, 'Drives'),
        h('th', { scope: 'col' }, 'Last seen'))),
      h('tbody', {}, nodes.map((n) => {
        const state = pick(n, 'state');
        return h('tr', { 'data-node': pick(n, 'name'), 'data-state': state },
          h('th', { scope: 'row' }, pick(n, 'name'), pick(n, 'leader') ? [' ', h('span', { class: 'badge' }, 'Leader')] : null),
          h('td', { 'data-label': 'State' }, h('span', { class: `badge ${state === 'up' ? 'badge-ok' : 'badge-bad'}` }, state === 'up' ? 'Up' : 'Down')),
          h('td', { 'data-label': 'S3 endpoint' }, pick(n, 's3URL') || '–'),
          h('td', { class: 'num', 'data-label': 'Drives' }, fmtNumber(pick(n, 'drives'))),
          h('td', { 'data-label': 'Last seen' }, state === 'up' ? 'now' : (pick(n, 'lastSeen') ? fmtDate(pick(n, 'lastSeen')) : '–')));
      })))),
    h('p', { id: 'ov-heal' }, healText));
}

function drivesSection(drives, scrub, ready) {
  const online = drives.filter((x) => pick(x, 'online')).length;
  const running = !!pick(scrub, 'running');
  const pct = Math.round((Number(pick(scrub, 'progress')) || 0) * 100);
  const bar = h('span', {});
  bar.style.width = `${running ? pct : 0}%`;
  return h('section', { class: 'panel', 'aria-labelledby': 'ov-drives-h' },
    h('h2', { id: 'ov-drives-h' }, 'Drives'),
    h('p', { class: `alert ${online === drives.length && ready ? 'alert-ok' : 'alert-error'}`, id: 'ov-drives-summary' },
      `${online} of ${drives.length} drives online; ${ready ? 'writes have quorum' : 'writes are refused: too few drives online'}.`),
    drivesTable(drives, 'ov-drives'),
    h('h3', {}, 'Scrub and heal'),
    h('div', {
      class: 'meter', role: 'progressbar', 'aria-label': 'Progress of the current scrub pass',
      'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': running ? pct : 0,
    }, bar),
    h('p', { id: 'ov-scrub' }, running ? `A scrub pass is running: ${pct}% done.` : 'No scrub pass running.',
      pick(scrub, 'lastScrubDone') ? ` Last pass finished ${fmtDate(pick(scrub, 'lastScrubDone'))}.` : ' No pass has finished since start.',
      ` Since start: ${plural(pick(scrub, 'objectsHealed'), 'object')} healed, ${plural(pick(scrub, 'shardsRepaired'), 'shard')} repaired, `
      + `${plural(pick(scrub, 'errors'), 'error')}.`),
    h('p', { class: 'muted small' }, h('a', { href: '#/admin/drives' }, 'Drive details')));
}

function requestsSection(minutes) {
  let total = 0;
  let errors = 0;
  for (const m of minutes) {
    total += Number(pick(m, 'requests')) || 0;
    errors += (Number(pick(m, 'clientErrors')) || 0) + (Number(pick(m, 'serverErrors')) || 0);
  }
  const text = `${fmtNumber(total)} S3 requests in the last hour, ${fmtNumber(errors)} answered with an error.`;
  return h('section', { class: 'panel', 'aria-labelledby': 'ov-req-h' },
    h('h2', { id: 'ov-req-h' }, 'Requests, last hour'),
    h('p', { id: 'ov-requests-total' }, text),
    h('div', { class: 'reqchart' },
      h('p', { class: 'reqchart-peak muted small' }, `Peak: ${fmtNumber(peakOf(minutes))} requests a minute`),
      requestChart(minutes, text),
      h('p', { class: 'reqchart-axis muted small' }, h('span', {}, minuteText(minutes[0])), h('span', {}, `${minuteText(minutes[minutes.length - 1])} UTC`))),
    h('p', { class: 'reqchart-legend muted small' },
      h('span', { class: 'key key-ok' }), 'requests per minute ',
      h('span', { class: 'key key-bad' }), 'errors (4xx and 5xx)'));
}

function peakOf(minutes) {
  return Math.max(0, ...minutes.map((m) => Number(pick(m, 'requests')) || 0));
}

// minuteText is a minute's start as HH:MM (UTC).
function minuteText(m) {
  const start = m ? pick(m, 'start') : '';
  const d = start ? new Date(start) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString().slice(11, 16) : '';
}

function svg(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const k of kids) el.append(k);
  return el;
}

// requestChart draws one bar a minute: its height the requests, its red
// lower part the errors. Each bar carries its numbers in data- attributes
// and a title; the chart as a whole is labelled with the totals.
export function requestChart(minutes, label) {
  const W = 600;
  const H = 150;
  const top = 4;
  const base = H - 1;
  const n = Math.max(minutes.length, 1);
  const peak = Math.max(1, peakOf(minutes));
  const slot = W / n;
  const el = svg('svg', {
    id: 'requests-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label,
    preserveAspectRatio: 'none', 'data-peak': peak,
  });
  el.append(svg('line', { x1: 0, y1: base, x2: W, y2: base, class: 'axis' }));
  el.append(svg('line', { x1: 0, y1: top, x2: W, y2: top, class: 'grid' }));
  minutes.forEach((m, i) => {
    const req = Number(pick(m, 'requests')) || 0;
    const err = (Number(pick(m, 'clientErrors')) || 0) + (Number(pick(m, 'serverErrors')) || 0);
    const x = i * slot + slot * 0.1;
    const w = slot * 0.8;
    const hReq = ((base - top) * req) / peak;
    const hErr = ((base - top) * err) / peak;
    const at = minuteText(m);
    const g = svg('g', { class: 'bar', 'data-requests': req, 'data-errors': err, 'data-minute': at },
      svg('title', {}, `${at} UTC: ${req} requests, ${err} errors`));
    g.append(svg('rect', { x, y: base - hReq, width: w, height: hReq, class: 'bar-req' }));
    if (err) g.append(svg('rect', { x, y: base - hErr, width: w, height: hErr, class: 'bar-err' }));
    el.append(g);
  });
  return el;
}

function topTenantsSection(top, count) {
  return h('section', { class: 'panel', 'aria-labelledby': 'ov-top-h' },
    h('h2', { id: 'ov-top-h' }, 'Top tenants by bytes'),
    top.length === 0 ? h('p', { class: 'empty' }, 'No tenants yet.')
      : h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'ov-top' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Tenant'),
          h('th', { scope: 'col', class: 'num' }, 'Bytes'),
          h('th', { scope: 'col', class: 'num' }, 'Objects'),
          h('th', { scope: 'col', class: 'num' }, 'Containers'),
          h('th', { scope: 'col' }, 'Byte quota'))),
        h('tbody', {}, top.map((t) => {
          const name = pick(t, 'name');
          const quota = Number(pick(t, 'quotaBytes')) || 0;
          const bytes = Number(pick(t, 'bytes')) || 0;
          return h('tr', { 'data-tenant': name },
            h('th', { scope: 'row' }, h('a', { href: `#/admin/tenants/${enc(name)}` }, name),
              pick(t, 'suspended') ? [' ', h('span', { class: 'badge badge-bad' }, 'Suspended')] : null),
            h('td', { class: 'num', 'data-label': 'Bytes' }, fmtBytes(bytes)),
            h('td', { class: 'num', 'data-label': 'Objects' }, fmtNumber(pick(t, 'objects'))),
            h('td', { class: 'num', 'data-label': 'Containers' }, fmtNumber(pick(t, 'containers'))),
            h('td', { 'data-label': 'Byte quota' }, quota ? `${fmtBytes(quota)} (${Math.round((bytes / quota) * 100)}%)` : 'unlimited'));
        })))),
    h('p', { class: 'muted small' }, h('a', { href: '#/admin/tenants' }, `All ${fmtNumber(count)} tenants`)));
}
