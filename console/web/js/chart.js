// chart.js: a small line chart drawn as inline SVG, for the usage charts.
// Inline SVG needs no library and no request (the CSP stays 'self' only),
// scales with its container, and its shapes are ordinary DOM that tests
// and screen readers can read. Axis labels are HTML beside the SVG, so they
// keep their size when the drawing is stretched to its box: the SVG fills the
// width and a fixed height, its strokes do not scale.
import { h } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 600; // viewBox width; the SVG is drawn at 100% of its box
const H = 130;
const PAD = 6; // keeps the line and its points inside the box

function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  }
  for (const kid of kids) if (kid) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}

// lineChart draws series values over [from, to] (Date), with an optional
// limit line (the quota as it was at each point; 0 = none there).
// points: [{time: Date, value: number, limit: number}], oldest first.
// Lines break where two points are more than two steps apart (no sample).
// It returns a <figure> holding the SVG (with <title> and <desc>), its axis
// labels and a table of the same numbers.
export function lineChart({ id, title, points, from, to, stepMs, format, formatTime, valueLabel, limitLabel }) {
  const max = Math.max(1, ...points.map((p) => p.value), ...points.map((p) => p.limit || 0));
  const top = max;
  const t0 = from.getTime();
  const span = Math.max(1, to.getTime() - t0);
  const x = (t) => PAD + ((t.getTime() - t0) / span) * (W - 2 * PAD);
  const y = (v) => H - PAD - (v / top) * (H - 2 * PAD);
  const fx = (n) => n.toFixed(1);

  // Runs of points no more than two steps apart are drawn as one line.
  const runs = [];
  let run = [];
  for (const p of points) {
    if (run.length && p.time - run[run.length - 1].time > 2 * stepMs) { runs.push(run); run = []; }
    run.push(p);
  }
  if (run.length) runs.push(run);

  const last = points[points.length - 1];
  const lastLimit = last ? last.limit || 0 : 0;
  const desc = !last
    ? 'No samples yet in this range.'
    : `${points.length} ${points.length === 1 ? 'sample' : 'samples'} from ${formatTime(points[0].time)} to ${formatTime(last.time)}; ` +
      `latest ${format(last.value)}${lastLimit ? ` of a ${limitLabel.toLowerCase()} of ${format(lastLimit)}` : ''}; ` +
      `highest ${format(Math.max(...points.map((p) => p.value)))}.`;

  const svg = s('svg', {
    class: 'chart-svg', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`, 'data-points': points.length,
    'data-latest': last ? last.value : '', 'data-limit': lastLimit,
  },
  s('title', { id: `${id}-title` }, title),
  s('desc', { id: `${id}-desc` }, desc),
  s('line', { class: 'chart-axis', x1: 0, y1: H - PAD, x2: W, y2: H - PAD }));

  // The limit line steps where the quota changed and stops where there was none.
  let seg = [];
  const limitSegs = [];
  for (const p of points) {
    if (!p.limit) { if (seg.length) limitSegs.push(seg); seg = []; continue; }
    if (seg.length) seg.push([x(p.time), y(seg[seg.length - 1][2])]);
    seg.push([x(p.time), y(p.limit), p.limit]);
  }
  if (seg.length) limitSegs.push(seg);
  for (const sg of limitSegs) {
    // A lone point's limit still shows as a short line up to the range's end.
    if (sg.length === 1 || sg[sg.length - 1][0] < W - PAD) sg.push([W - PAD, sg[sg.length - 1][1]]);
    svg.append(s('polyline', { class: 'chart-limit', points: sg.map(([px, py]) => `${fx(px)},${fx(py)}`).join(' '), 'data-limit': sg[0][2] }));
  }

  for (const r of runs) {
    if (r.length > 1) {
      const line = r.map((p) => `${fx(x(p.time))},${fx(y(p.value))}`).join(' ');
      svg.append(s('polygon', { class: 'chart-area', points: `${fx(x(r[0].time))},${H - PAD} ${line} ${fx(x(r[r.length - 1].time))},${H - PAD}` }));
      svg.append(s('polyline', { class: 'chart-line', points: line }));
    }
  }
  // A point is a zero-length line with round caps and a stroke that does
  // not scale: a round dot of the same size at any width, where a circle
  // would be squashed by the stretched drawing.
  for (const p of points) {
    const px = fx(x(p.time));
    const py = fx(y(p.value));
    svg.append(s('path', { class: 'chart-point', d: `M${px},${py}h0`, 'data-value': p.value, 'data-time': p.time.toISOString() },
      s('title', {}, `${formatTime(p.time)}: ${format(p.value)}`)));
  }

  const table = h('table', { class: 'chart-table', id: `${id}-table` },
    h('caption', {}, `${title}, as numbers`),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col', class: 'num' }, valueLabel),
      h('th', { scope: 'col', class: 'num' }, limitLabel))),
    h('tbody', {}, points.slice().reverse().map((p) => h('tr', { 'data-time': p.time.toISOString() },
      h('th', { scope: 'row' }, formatTime(p.time)),
      h('td', { class: 'num', 'data-value': p.value }, format(p.value)),
      h('td', { class: 'num', 'data-limit': p.limit || 0 }, p.limit ? format(p.limit) : 'none')))));

  return h('figure', { class: 'chart', id },
    h('figcaption', { class: 'chart-head' }, h('strong', {}, title),
      h('span', { class: 'muted small' }, last ? `latest ${format(last.value)}` : 'no samples yet'),
      lastLimit ? h('span', { class: 'chart-key small' }, h('span', { class: 'chart-key-limit', 'aria-hidden': 'true' }), `${limitLabel} ${format(lastLimit)}`) : null),
    h('div', { class: 'chart-plot' },
      h('span', { class: 'chart-ymax small muted', 'aria-hidden': 'true' }, format(top)),
      svg),
    h('div', { class: 'chart-xaxis small muted', 'aria-hidden': 'true' },
      h('span', {}, formatTime(from)), h('span', {}, formatTime(to))),
    h('details', { class: 'chart-details' }, h('summary', {}, 'Show the numbers'),
      points.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted small' }, 'No samples yet.')));
}
