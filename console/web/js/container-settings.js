// container-settings.js: one container's settings (#/storage/c/NAME/settings):
// Public access (Private / Public read, with its warning and the public
// address of the objects), the bucket policy editor (validated by the
// server before saving), and the lifecycle form ("Delete objects older
// than N days", "Clean up unfinished uploads after N days"; other rules
// shown read-only), and the container's usage over time.
import { api, enc } from './api.js';
import { h, clear, loading, errorBox, busy } from './dom.js';
import { usageHistory } from './usage-history.js';

// PUBLIC_WARNING is shown before and while a container is public.
export const PUBLIC_WARNING = 'Anyone with the link can read every object in this container, without logging in.';

export function render(main, ctx) {
  const name = ctx.params[0];
  ctx.setTitle(`${name} settings`);
  const access = h('section', { class: 'panel', 'aria-labelledby': 'access-title' }, loading());
  const lifecycle = h('section', { class: 'panel', 'aria-labelledby': 'lifecycle-title' }, loading());
  clear(main,
    h('div', { class: 'page-head' }, h('h1', { class: 'break' }, `Settings of ${name}`)),
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Container' }, h('ol', {},
      h('li', {}, h('a', { href: '#/storage' }, 'Containers')),
      h('li', {}, h('a', { href: `#/storage/c/${enc(name)}` }, name)),
      h('li', {}, h('span', { 'aria-current': 'page' }, 'Settings')))),
    access, lifecycle,
    h('section', { class: 'panel', 'aria-labelledby': 'container-usage-title' },
      h('h2', { id: 'container-usage-title' }, 'Usage over time'),
      usageHistory({ id: 'container-usage', path: '/api/usage/history', container: name, alive: ctx.alive })));
  const base = `/api/containers/${enc(name)}`;

  async function loadAccess() {
    try {
      const v = await api('GET', `${base}/policy`);
      if (ctx.alive()) showAccess(v);
    } catch (err) {
      if (ctx.alive()) clear(access, h('h2', { id: 'access-title' }, 'Public access'), errorBox(err));
    }
  }

  function showAccess(v, message) {
    const status = h('div', { role: 'status' }, message ? h('div', { class: 'alert alert-ok' }, message) : null);
    const radio = (value, label, checked) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'public-access', value, checked, 'data-access': value }), ' ', label);
    const privateRadio = radio('private', 'Private: only your credentials and share links can read objects', !v.publicRead);
    const publicRadio = radio('public-read', 'Public read', v.publicRead);
    const warning = h('p', { class: 'alert alert-warn', id: 'public-warning' }, h('strong', {}, 'Warning: '), PUBLIC_WARNING);
    const saveAccess = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save public access');
    const accessErr = h('div', {});
    const syncWarning = () => { warning.hidden = !publicRadio.querySelector('input').checked; };
    const form = h('form', { novalidate: true, 'aria-describedby': 'public-warning' },
      h('fieldset', {}, h('legend', {}, 'Who can read the objects of this container'), privateRadio, publicRadio),
      warning, accessErr, saveAccess);
    form.addEventListener('change', syncWarning);
    syncWarning();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(accessErr);
      const publicRead = publicRadio.querySelector('input').checked;
      try {
        const nv = await busy(saveAccess, 'Saving…', () => api('PUT', `${base}/policy`, { publicRead }));
        showAccess(nv, publicRead ? `${name} is now public: anyone can read its objects.` : `${name} is now private.`);
      } catch (err) {
        clear(accessErr, errorBox(err));
      }
    });

    const url = v.publicURL;
    const addr = h('div', { class: 'field' },
      h('p', {}, v.public ? 'Objects are public at ' : 'When public, objects are at ',
        h('code', { 'data-public-url': url }, `${url}KEY`),
        ' (path style; listing the container stays private).'),
      v.public && v.restrictPublicBuckets ? h('p', { class: 'alert alert-warn' }, 'Block Public Access (RestrictPublicBuckets) is on: the public policy grants nothing until it is turned off.') : null,
      v.blockPublicPolicy ? h('p', { class: 'field-hint' }, 'Block Public Access (BlockPublicPolicy) is on: public policies cannot be saved.') : null,
      v.public && !v.publicRead ? h('p', { class: 'alert alert-warn' }, 'The policy below grants public access by other statements.') : null);

    // The policy editor: the server validates with the S3 policy rules.
    const ta = h('textarea', { id: 'policy-doc', rows: 12, spellcheck: 'false', autocomplete: 'off', class: 'mono', 'aria-describedby': 'policy-hint policy-error' });
    try { ta.value = v.policy ? JSON.stringify(JSON.parse(v.policy), null, 2) : ''; } catch { ta.value = v.policy; }
    const policyErr = h('div', { id: 'policy-error', 'aria-live': 'polite' });
    const savePolicy = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save policy');
    const deletePolicy = h('button', { type: 'button', class: 'btn btn-danger', disabled: !v.policy }, 'Delete policy');
    const editor = h('form', { novalidate: true },
      h('h3', {}, 'Bucket policy'),
      h('div', { class: 'field' },
        h('label', { for: 'policy-doc' }, 'Policy document (JSON)'), ta,
        h('p', { id: 'policy-hint', class: 'field-hint' }, `The AWS bucket policy language; resources are arn:aws:s3:::${name} and arn:aws:s3:::${name}/*. Checked before it is saved.`)),
      policyErr,
      h('div', { class: 'actions' }, savePolicy, deletePolicy));
    editor.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(policyErr);
      try {
        const nv = await busy(savePolicy, 'Saving…', () => api('PUT', `${base}/policy`, { policy: ta.value }));
        showAccess(nv, 'Policy saved.');
      } catch (err) {
        ta.setAttribute('aria-invalid', 'true');
        clear(policyErr, h('div', { class: 'alert alert-error', role: 'alert', 'data-policy-error': '' },
          err.data && err.data.code ? `${err.data.code}: ${err.message}` : err.message));
      }
    });
    deletePolicy.addEventListener('click', async () => {
      clear(policyErr);
      try {
        const nv = await busy(deletePolicy, 'Deleting…', () => api('DELETE', `${base}/policy`));
        showAccess(nv, 'Policy deleted: the container is private.');
      } catch (err) {
        clear(policyErr, errorBox(err));
      }
    });
    clear(access, h('h2', { id: 'access-title' }, 'Public access'),
      h('p', { 'data-access-state': v.public ? 'public' : 'private' }, 'Now: ',
        h('strong', {}, v.public ? 'Public' : 'Private')),
      status, form, addr, editor);
  }

  async function loadLifecycle() {
    try {
      const v = await api('GET', `${base}/lifecycle`);
      if (ctx.alive()) showLifecycle(v);
    } catch (err) {
      if (ctx.alive()) clear(lifecycle, h('h2', { id: 'lifecycle-title' }, 'Lifecycle'), errorBox(err));
    }
  }

  function showLifecycle(v, message) {
    const status = h('div', { role: 'status' }, message ? h('div', { class: 'alert alert-ok' }, message) : null);
    const versioned = v.versioning !== '' || v.noncurrentDays > 0;
    const days = (id, value) => h('input', { id, type: 'number', min: '1', step: '1', inputmode: 'numeric', value: value > 0 ? String(value) : '', class: 'days' });
    const check = (id, on) => h('input', { id, type: 'checkbox', checked: on });
    const expireOn = check('expire-on', v.expireDays > 0);
    const expireDays = days('expire-days', v.expireDays || 30);
    const ncOn = check('noncurrent-on', v.noncurrentDays > 0);
    const ncDays = days('noncurrent-days', v.noncurrentDays || 30);
    const abortOn = check('abort-on', v.abortDays > 0);
    const abortDays = days('abort-days', v.abortDays || 7);
    const err = h('div', { 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save lifecycle');
    const row = (box, input, before, after) => h('div', { class: 'field lc-row' },
      box, ' ', h('label', { for: box.id }, before), ' ', input, ' ', h('label', { for: input.id }, after));
    const defaultText = v.defaultAbortDays > 0
      ? `Without this rule, your operator's default aborts unfinished uploads after ${v.defaultAbortDays} days.`
      : 'Without this rule, unfinished uploads are kept until completed or aborted.';
    const form = h('form', { novalidate: true },
      row(expireOn, expireDays, 'Delete objects older than', 'days'),
      versioned ? row(ncOn, ncDays, 'and delete noncurrent versions', 'days after they become noncurrent') : null,
      row(abortOn, abortDays, 'Clean up unfinished uploads after', 'days'),
      h('p', { class: 'field-hint' }, defaultText),
      err, save);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(err);
      const val = (on, input, what) => {
        if (!on.checked) return 0;
        const n = Number(input.value);
        if (!input.value || !Number.isInteger(n) || n < 1) throw new Error(`Enter a whole number of days (1 or more) for ${what}.`);
        return n;
      };
      let body;
      try {
        body = {
          expireDays: val(expireOn, expireDays, 'deleting objects'),
          noncurrentDays: versioned ? val(ncOn, ncDays, 'noncurrent versions') : 0,
          abortDays: val(abortOn, abortDays, 'unfinished uploads'),
          revision: v.revision,
        };
      } catch (ex) {
        clear(err, errorBox(ex));
        return;
      }
      try {
        const nv = await busy(save, 'Saving…', () => api('PUT', `${base}/lifecycle`, body));
        showLifecycle(nv, 'Lifecycle saved.');
      } catch (ex) {
        clear(err, h('div', { class: 'alert alert-error', role: 'alert', 'data-lifecycle-error': '' },
          ex.data && ex.data.code ? `${ex.data.code}: ${ex.message}` : ex.message));
      }
    });
    const others = v.rules && v.rules.length ? h('div', { 'data-other-rules': '' },
      h('h3', {}, 'Other rules (read-only)'),
      h('p', { class: 'field-hint' }, 'Set through S3; the form keeps them as they are. Change them with an S3 client (PutBucketLifecycleConfiguration).'),
      h('ul', {}, v.rules.map((r) => h('li', { 'data-rule': r.id },
        h('span', { class: 'mono' }, r.id), ` (${r.status}): ${r.filter}: ${(r.actions || []).join('; ') || 'no action'}`))),
      h('details', {}, h('summary', {}, 'Stored configuration (XML)'), h('pre', { class: 'snippet-pre' }, v.xml))) : null;
    clear(lifecycle, h('h2', { id: 'lifecycle-title' }, 'Lifecycle'),
      h('p', { class: 'muted' }, 'Days are counted as S3 counts them: from the object\'s creation, to the next midnight UTC. Deleted objects cannot be recovered.'),
      status, form, others);
  }

  loadAccess();
  loadLifecycle();
}
