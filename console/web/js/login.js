// login.js: the login page for tenant users and the operator.
import { api } from './api.js';
import { h, clear, errorBox, busy } from './dom.js';

export function render(main, ctx) {
  ctx.setTitle('Log in');
  const err = h('div', {});
  const user = h('input', {
    id: 'login-username', name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false',
    'aria-describedby': 'login-username-hint',
  });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in');
  const form = h('form', { class: 'panel', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'Username'), user,
      h('p', { id: 'login-username-hint', class: 'field-hint' },
        'Usernames are unique within a tenant. If another tenant has a user of the same name, add your tenant: alice@your-tenant.')),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), pass),
    err,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(err);
    if (!user.value.trim() || !pass.value) {
      clear(err, errorBox(new Error('Enter your username and password.')));
      (user.value.trim() ? pass : user).focus();
      return;
    }
    try {
      const s = await busy(submit, 'Logging in…', () => api('POST', '/api/login', { username: user.value.trim(), password: pass.value }));
      ctx.onLogin(s);
    } catch (ex) {
      const msg = ex.status === 401 ? 'Wrong username or password.' : ex.message;
      clear(err, errorBox(new Error(msg)));
      pass.value = '';
      pass.focus();
    }
  });
  const notice = ctx.takeNotice ? ctx.takeNotice() : '';
  clear(main, h('section', { class: 'login' },
    h('h1', {}, 'Log in to Coffer'),
    notice ? h('p', { class: 'alert alert-warn', role: 'alert', id: 'login-notice' }, notice) : null,
    h('p', { class: 'muted' }, 'Tenant users and the operator sign in here.'),
    form));
  user.focus();
}
