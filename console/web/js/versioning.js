// versioning.js: a container's versioning state on the Shared Storage page:
// Never enabled / Enabled / Suspended with the bytes its noncurrent versions
// hold, its Object Lock default retention, and the toggle (enable, suspend;
// once enabled a container can never return to unversioned, and one with
// Object Lock cannot be suspended).
import { api, enc } from './api.js';
import { h, fmtBytes, fmtNumber, confirmDialog } from './dom.js';

const STATE_LABEL = { '': 'Never enabled', Enabled: 'Enabled', Suspended: 'Suspended' };

// lockText describes a container's Object Lock: "Object Lock: COMPLIANCE, 30 days".
export function lockText(lock) {
  if (!lock) return '';
  if (!lock.mode) return 'Object Lock on (no default retention)';
  const n = lock.years || lock.days;
  const unit = lock.years ? 'year' : 'day';
  return `Object Lock: ${lock.mode}, ${n} ${unit}${n === 1 ? '' : 's'} by default`;
}

// noncurrentText is "3 noncurrent versions hold 1.2 KiB" (delete markers count as versions).
export function noncurrentText(c) {
  const n = Number(c.noncurrentObjects) || 0;
  return `${fmtNumber(n)} noncurrent ${n === 1 ? 'version holds' : 'versions hold'} ${fmtBytes(c.noncurrentBytes)}`;
}

// versioningCell renders the state, noncurrent bytes, lock and the toggle;
// onChanged runs after the state changed.
export function versioningCell(c, onChanged) {
  const state = c.versioning || '';
  const next = state === 'Enabled' ? 'Suspended' : 'Enabled';
  // Suspending is refused for Object Lock containers (S3 InvalidBucketState).
  const canToggle = !(next === 'Suspended' && c.objectLock);
  const label = next === 'Enabled' ? 'Enable versioning' : 'Suspend versioning';
  const toggle = canToggle ? h('button', {
    type: 'button', class: 'btn btn-small', 'aria-label': `${label} of ${c.name}`,
    title: `${label} of ${c.name}`,
    onclick: async (e) => {
      const button = e.currentTarget;
      const ok = await confirmDialog({
        title: `${label} of ${c.name}?`,
        body: next === 'Enabled'
          ? [h('p', {}, 'Every overwrite and delete will keep the previous version; a delete adds a delete marker. Noncurrent versions count toward your quota until they are deleted by version id.'),
            h('p', {}, h('strong', {}, 'Once enabled, versioning can only be suspended, never turned off.'))]
          : [h('p', {}, 'New writes replace the null version instead of adding versions. The versions already kept stay, and still count toward your quota, until they are deleted by version id.')],
        confirmLabel: label,
        action: () => api('PUT', `/api/containers/${enc(c.name)}/versioning`, { state: next }),
      });
      if (ok) onChanged(`Versioning of ${c.name} ${next === 'Enabled' ? 'enabled' : 'suspended'}.`);
      else if (button.isConnected) button.focus();
    },
  }, next === 'Enabled' ? 'Enable' : 'Suspend') : null;
  const showNoncurrent = state !== '' || Number(c.noncurrentObjects) > 0;
  return h('div', { class: 'versioning-cell' },
    h('span', { class: `badge ${state === 'Enabled' ? 'badge-ok' : 'badge-muted'}`, 'data-versioning': state || 'never' }, STATE_LABEL[state] || state),
    showNoncurrent ? h('span', { class: 'small', 'data-noncurrent-bytes': String(c.noncurrentBytes || 0) }, noncurrentText(c)) : null,
    c.objectLock ? h('span', { class: 'small', 'data-object-lock': c.objectLock.mode || 'on' }, lockText(c.objectLock)) : null,
    toggle);
}
