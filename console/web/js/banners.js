// banners.js: the notices above every tenant page: the tenant is suspended,
// or its object or byte quota is near (80%) or reached, each saying what it
// means. They come from GET /api/usage.
import { api } from './api.js';
import { h, clear, fmtBytes, fmtNumber } from './dom.js';

// SUSPENDED says what a suspended tenant's users can still do: the console
// lets them look (list, details, download, usage) and revoke their key
// pair; every change, share link and S3 request is refused.
export const SUSPENDED = 'Your tenant is suspended. You can still browse your containers, download objects and see your usage here, ' +
  'but uploads, deletes, new containers, setting changes, new keys and share links are refused, ' +
  'and every S3 request with your keys (share links and public containers too) is refused with AccessDenied. Contact your operator.';
export const QUOTA_REACHED = 'New uploads are refused; deletes still work.';
export const QUOTA_NEAR = 'At 100%, new uploads are refused; deletes still work.';

const NEAR = 0.8;

let seq = 0;

function region() {
  return document.getElementById('banners');
}

// hideBanners empties the banner area (operator pages, login).
export function hideBanners() {
  seq++;
  const el = region();
  if (el) { clear(el); el.hidden = true; }
}

// refreshBanners reads /api/usage and shows the banners it calls for.
export async function refreshBanners() {
  const mine = ++seq;
  try {
    const u = await api('GET', '/api/usage');
    if (mine === seq) showBanners(u);
  } catch {
    // No banner is better than a wrong one; the page shows its own errors.
  }
}

// showBanners renders the banners for a /api/usage answer (the Settings
// page passes the answer it already has).
export function showBanners(u) {
  seq++;
  const el = region();
  if (!el) return;
  const items = [];
  if (u.suspended) {
    items.push(h('div', { class: 'alert alert-error banner', 'data-banner': 'suspended' },
      h('strong', {}, 'Suspended. '), SUSPENDED));
  }
  const quota = u.quota || {};
  for (const [kind, used, limit, format, unit] of [
    ['bytes', u.bytes, quota.bytes, fmtBytes, ''],
    ['objects', u.objects, quota.objects, fmtNumber, ' objects'],
  ]) {
    const lim = Number(limit) || 0;
    if (!lim) continue;
    const n = Number(used) || 0;
    const ratio = n / lim;
    if (ratio < NEAR) continue;
    const pct = Math.floor(ratio * 100);
    const what = `${format(n)} of ${format(lim)}${unit} (${pct}%)`;
    const name = kind === 'bytes' ? 'byte quota' : 'object quota';
    items.push(ratio >= 1
      ? h('div', { class: 'alert alert-error banner', 'data-banner': `quota-reached-${kind}` },
        h('strong', {}, `Your ${name} is reached: `), `${what}. ${QUOTA_REACHED} `,
        'Delete objects (or old versions) to make room, or ask your operator for a larger quota.')
      : h('div', { class: 'alert alert-warn banner', 'data-banner': `quota-near-${kind}` },
        h('strong', {}, `Your ${name} is nearly used: `), `${what}. ${QUOTA_NEAR}`));
  }
  clear(el, items);
  el.hidden = items.length === 0;
}
