// admin-usage.js: a tenant's stored bytes over time as a line in inline SVG,
// from GET /api/admin/tenants/{t}/usage/history. The answer's shape is read
// loosely (a list of points with a time and bytes, hourly preferred to
// daily) so the page works with the history recorder as it lands; the
// shared chart module replaces this drawing when both are merged.
import { h, fmtBytes, fmtDate } from './dom.js';
import { pick } from './admin-common.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const TIME_FIELDS = ['time', 'start', 'at', 'hour', 'day', 'date', 't'];

// points finds the list of {time, bytes} points in the history answer.
export function points(history) {
  if (!history || typeof history !== 'object') return [];
  const lists = Array.isArray(history) ? [history]
    : ['hourly', 'daily', 'points', 'history', 'samples'].map((k) => pick(history, k)).filter(Array.isArray)
      .concat(Object.values(history).filter(Array.isArray));
  for (const list of lists) {
    const pts = list.map((p) => {
      const tf = TIME_FIELDS.find((f) => pick(p, f) !== undefined);
      const time = tf ? new Date(pick(p, tf)).getTime() : NaN;
      return { time, bytes: Number(pick(p, 'bytes')) };
    }).filter((p) => Number.isFinite(p.time) && Number.isFinite(p.bytes)).sort((a, b) => a.time - b.time);
    if (pts.length) return pts;
  }
  return [];
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// usageHistory draws bytes against time, with the byte quota as a dashed
// line when it is in view; no history yet is said in words.
export function usageHistory(history, quotaBytes) {
  const pts = points(history);
  if (pts.length === 0) {
    return h('p', { class: 'muted', id: 'usage-history-empty' },
      history ? 'No usage recorded yet.' : 'Usage history is not available on this server.');
  }
  const W = 600;
  const H = 150;
  const quota = Number(quotaBytes) || 0;
  const peak = Math.max(1, ...pts.map((p) => p.bytes), quota && quota <= 2 * Math.max(...pts.map((p) => p.bytes)) ? quota : 0);
  const t0 = pts[0].time;
  const span = Math.max(1, pts[pts.length - 1].time - t0);
  const x = (t) => (pts.length === 1 ? W : ((t - t0) / span) * W);
  const y = (b) => H - 2 - ((H - 6) * b) / peak;
  const last = pts[pts.length - 1];
  const label = `Stored bytes from ${fmtDate(new Date(t0).toISOString())} to ${fmtDate(new Date(last.time).toISOString())}: now ${fmtBytes(last.bytes)}`
    + `${quota ? ` of a ${fmtBytes(quota)} quota` : ''}.`;
  const el = svg('svg', { id: 'usage-history-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' });
  el.append(svg('line', { x1: 0, y1: H - 1, x2: W, y2: H - 1, class: 'axis' }));
  if (quota && quota <= peak) el.append(svg('line', { x1: 0, y1: y(quota), x2: W, y2: y(quota), class: 'quota-line' }));
  el.append(svg('polyline', {
    points: pts.map((p) => `${x(p.time).toFixed(1)},${y(p.bytes).toFixed(1)}`).join(' '),
    class: 'line', 'data-points': pts.length, 'data-last-bytes': last.bytes,
  }));
  return h('div', { class: 'chart' }, el, h('p', { class: 'muted small' }, label));
}
