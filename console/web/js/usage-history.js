// usage-history.js: the usage-over-time panel (bytes and objects against the
// quota line) over 48 hours, 30 days or 365 days, for a tenant or one of its
// containers. It reads GET /api/usage/history (or the operator's
// /api/admin/tenants/T/usage/history) and draws with chart.js.
import { api, enc } from './api.js';
import { h, clear, loading, errorBox, fmtBytes, fmtNumber } from './dom.js';
import { lineChart } from './chart.js';

const RANGES = [['48h', 'Last 48 hours'], ['30d', 'Last 30 days'], ['365d', 'Last 365 days']];
const RANGE_MS = { '48h': 48 * 3600e3, '30d': 30 * 86400e3, '365d': 365 * 86400e3 };

const hourFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
// Daily points are UTC days: shown as UTC dates, never a day off.
const dayFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

// usageHistory returns the panel element. id prefixes element ids;
// path is the history endpoint; container, when set, selects its series.
export function usageHistory({ id, path, container = '', range = '48h', alive = () => true }) {
  const body = h('div', { class: 'usage-history-body' }, loading('Loading usage history…'));
  const select = h('select', { id: `${id}-range`, 'data-usage-range': '' },
    RANGES.map(([v, label]) => h('option', { value: v, selected: v === range }, label)));
  const panel = h('div', { class: 'usage-history', id },
    h('div', { class: 'field inline' }, h('label', { for: `${id}-range` }, 'Usage over'), select),
    body);

  async function load() {
    const r = select.value;
    body.setAttribute('aria-busy', 'true');
    try {
      const q = `?range=${enc(r)}${container ? `&container=${enc(container)}` : ''}`;
      const res = await api('GET', `${path}${q}`);
      if (alive()) clear(body, view(id, res, r, Boolean(container)));
    } catch (err) {
      if (alive()) clear(body, errorBox(err));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }
  select.addEventListener('change', load);
  load();
  panel.reload = load;
  return panel;
}

function view(id, res, range, isContainer) {
  const points = (res.points || []).map((p) => ({ ...p, time: new Date(p.time) }));
  const stepMs = (Number(res.stepSeconds) || 3600) * 1000;
  const now = new Date();
  const last = points.length ? points[points.length - 1].time : now;
  const to = new Date(Math.max(now.getTime(), last.getTime()));
  // The axis starts a step before the first sample when the history is
  // shorter than the range: a young tenant's few points are not squeezed
  // against the right edge, and nothing is drawn where nothing was sampled.
  const rangeStart = to.getTime() - RANGE_MS[range];
  const first = points.length ? points[0].time.getTime() - stepMs : to.getTime() - stepMs;
  const from = new Date(Math.max(rangeStart, first));
  const formatTime = range === '48h' ? (d) => hourFmt.format(d) : (d) => dayFmt.format(d);
  const common = { points: [], from, to, stepMs, formatTime, limitLabel: 'Quota' };
  const every = Number(res.sampleIntervalSeconds) || 3600;
  return [
    lineChart({
      ...common, id: `${id}-bytes`, title: 'Bytes stored', valueLabel: 'Bytes', format: fmtBytes,
      points: points.map((p) => ({ time: p.time, value: Number(p.bytes) || 0, limit: isContainer ? 0 : Number(p.quotaBytes) || 0 })),
    }),
    lineChart({
      ...common, id: `${id}-objects`, title: 'Objects', valueLabel: 'Objects', format: fmtNumber,
      points: points.map((p) => ({ time: p.time, value: Number(p.objects) || 0, limit: isContainer ? 0 : Number(p.quotaObjects) || 0 })),
    }),
    h('p', { class: 'muted small' },
      `One point per ${range === '48h' ? 'hour' : 'day (UTC)'}: the usage at the last sample in it. The server samples every ${fmtInterval(every)}`,
      isContainer ? '.' : '; the dashed line is your quota as it was then (none: unlimited).'),
  ];
}

function fmtInterval(sec) {
  if (sec % 3600 === 0) return sec === 3600 ? 'hour' : `${sec / 3600} hours`;
  if (sec % 60 === 0) return sec === 60 ? 'minute' : `${sec / 60} minutes`;
  return `${sec} seconds`;
}
