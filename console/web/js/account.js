// account.js: the logged-in user's own account: change password and the
// session list with "Log out other sessions". Tenant users find it on
// Storage > Settings; the operator on Account (#/admin/account).
import { api } from './api.js';
import { h, clear, loading, errorBox, busy, fmtDate, announce } from './dom.js';

// The password rules auth enforces (auth.MinPasswordLength, bcrypt's limit).
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD_BYTES = 72;
const PASSWORD_RULE = `At least ${MIN_PASSWORD} characters (at most ${MAX_PASSWORD_BYTES} bytes), different from the current one.`;

// newPasswordProblem explains why next is not an acceptable new password,
// or returns ''. The server checks the same rules (console/account.go).
export function newPasswordProblem(current, next) {
  if (!next) return 'Enter a new password.';
  if (next.length < MIN_PASSWORD) return `Too short: use at least ${MIN_PASSWORD} characters (this has ${next.length}).`;
  if (new TextEncoder().encode(next).length > MAX_PASSWORD_BYTES) return `Too long: use at most ${MAX_PASSWORD_BYTES} bytes.`;
  if (current && next === current) return 'Choose a password different from the current one.';
  return '';
}

// passwordField is a labelled password input with its hint and its own
// error line, wired by aria-describedby.
function passwordField(id, label, autocomplete, hint) {
  const input = h('input', {
    id, name: id, type: 'password', autocomplete, required: true,
    'aria-describedby': hint ? `${id}-rules ${id}-error` : `${id}-error`,
  });
  const error = h('p', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' });
  const set = (msg) => {
    error.textContent = msg;
    input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  };
  const el = h('div', { class: 'field' },
    h('label', { for: id }, label), input,
    hint ? h('p', { id: `${id}-rules`, class: 'field-hint' }, hint) : null,
    error);
  return { el, input, set };
}

// accountSections returns the password and sessions panels.
export function accountSections(ctx) {
  const current = passwordField('account-current', 'Current password', 'current-password');
  const next = passwordField('account-new', 'New password', 'new-password', PASSWORD_RULE);
  const confirm = passwordField('account-confirm', 'Confirm new password', 'new-password');
  const status = h('div', { role: 'status', id: 'account-password-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password');
  let touched = false; // the form was submitted once
  const blurred = new Set(); // fields left with a value in them

  // check shows every client-side problem beside its field and returns
  // the first field that has one.
  const check = () => {
    const problems = [
      [current, current.input.value ? '' : 'Enter your current password.'],
      [next, newPasswordProblem(current.input.value, next.input.value)],
      [confirm, !confirm.input.value ? 'Type the new password again.'
        : confirm.input.value !== next.input.value ? 'The two new passwords differ.' : ''],
    ];
    let first = null;
    for (const [f, msg] of problems) {
      f.set(touched || blurred.has(f) ? msg : '');
      if (msg && !first) first = f;
    }
    return first;
  };
  for (const f of [current, next, confirm]) {
    f.input.addEventListener('input', () => { clear(status); check(); });
    f.input.addEventListener('blur', () => { if (f.input.value) { blurred.add(f); check(); } });
  }
  const form = h('form', { novalidate: true, id: 'account-password-form' },
    current.el, next.el, confirm.el,
    h('p', { class: 'muted small', id: 'account-password-note' },
      'Changing your password logs out your other sessions (other browsers and devices); this one stays logged in.'),
    status, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    touched = true;
    clear(status);
    const bad = check();
    if (bad) { bad.input.focus(); return; }
    try {
      await busy(submit, 'Changing…', () => api('PUT', '/api/me/password', {
        currentPassword: current.input.value, newPassword: next.input.value,
      }));
    } catch (ex) {
      const field = ex.data && ex.data.field;
      const target = field === 'currentPassword' ? current : field === 'newPassword' ? next : null;
      if (target) {
        target.set(ex.message.charAt(0).toUpperCase() + ex.message.slice(1) + '.');
        target.input.focus();
      } else {
        clear(status, errorBox(ex));
      }
      return;
    }
    touched = false;
    blurred.clear();
    for (const f of [current, next, confirm]) { f.input.value = ''; f.set(''); }
    const msg = 'Password changed. Your other sessions were logged out.';
    clear(status, h('div', { class: 'alert alert-ok' }, msg));
    announce(msg);
    loadSessions();
  });

  // Sessions.
  const sessionsBody = h('div', {}, loading('Loading sessions…'));
  const sessionsStatus = h('div', { role: 'status', id: 'sessions-status' });
  const logoutOthers = h('button', { type: 'button', class: 'btn', id: 'logout-others' }, 'Log out other sessions');
  logoutOthers.addEventListener('click', async () => {
    clear(sessionsStatus);
    try {
      const r = await busy(logoutOthers, 'Logging out…', () => api('DELETE', '/api/me/sessions'));
      const n = (r && r.ended) || 0;
      const msg = n === 0 ? 'There were no other sessions.' : `Logged out ${n} other ${n === 1 ? 'session' : 'sessions'}.`;
      clear(sessionsStatus, h('div', { class: 'alert alert-ok' }, msg));
      announce(msg);
    } catch (ex) {
      clear(sessionsStatus, errorBox(ex));
    }
    loadSessions();
  });

  async function loadSessions() {
    try {
      const r = await api('GET', '/api/me/sessions');
      if (!ctx.alive()) return;
      const list = (r && r.sessions) || [];
      logoutOthers.disabled = list.length < 2;
      clear(sessionsBody, sessionsTable(list),
        h('p', { class: 'muted small' }, `Sessions end after 30 minutes without use or 12 hours after login. At most ${r.max} at once: logging in again ends the least recently used.`));
    } catch (ex) {
      if (ctx.alive()) clear(sessionsBody, errorBox(ex), h('button', { type: 'button', class: 'btn', onclick: loadSessions }, 'Try again'));
    }
  }
  loadSessions();

  return [
    h('section', { class: 'panel', 'aria-labelledby': 'password-h', id: 'account-password' },
      h('h2', { id: 'password-h' }, 'Password'),
      h('p', { class: 'muted' }, `Logged in as ${ctx.session.username}${ctx.session.tenant ? ` in tenant ${ctx.session.tenant}` : ' (operator)'}.`),
      form),
    h('section', { class: 'panel', 'aria-labelledby': 'sessions-h', id: 'account-sessions' },
      h('div', { class: 'page-head' }, h('h2', { id: 'sessions-h' }, 'Sessions'), logoutOthers),
      h('p', { class: 'muted' }, 'Where you are logged in to this console.'),
      sessionsStatus, sessionsBody),
  ];
}

function sessionsTable(list) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'sessions-table' },
    h('caption', { class: 'sr-only' }, 'Your sessions'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Client'),
      h('th', { scope: 'col' }, 'Address'),
      h('th', { scope: 'col' }, 'Logged in'),
      h('th', { scope: 'col' }, 'Last used'))),
    h('tbody', {}, list.map((s) => h('tr', { 'data-session': s.id, class: s.current ? 'current-session' : null },
      h('th', { scope: 'row' }, s.userAgent,
        s.current ? h('span', { class: 'badge badge-ok', title: 'The session of this page' }, 'this session') : null),
      h('td', { 'data-label': 'Address', class: 'mono' }, s.ip || '—'),
      h('td', { 'data-label': 'Logged in' }, fmtDate(s.created)),
      h('td', { 'data-label': 'Last used' }, fmtDate(s.lastUsed)))))));
}

// render is the operator's Account page.
export function render(main, ctx) {
  ctx.setTitle('Account');
  clear(main, h('h1', {}, 'Account'), ...accountSections(ctx));
}
