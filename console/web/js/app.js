// app.js: session, sidebar and hash router of the Coffer console.
import { api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { h, clear, icon, loading, errorBox } from './dom.js';
import * as loginPage from './login.js';
import * as storagePage from './storage.js';
import * as browserPage from './browser.js';
import * as containerSettingsPage from './container-settings.js';
import * as settingsPage from './settings.js';
import * as tenantsPage from './admin-tenants.js';
import * as tenantPage from './admin-tenant.js';
import * as drivesPage from './admin-drives.js';
import { refreshBanners, hideBanners } from './banners.js';
import * as accountPage from './account.js';
import * as overviewPage from './admin-overview.js';

const main = document.getElementById('main');
const sidebar = document.getElementById('sidebar');
const shell = document.getElementById('shell');
const who = document.getElementById('who');

let session = null; // {username, role, tenant, csrfToken, sessionId}
let notice = ''; // shown once on the login page (why the user must log in again)

// boundKey is where the page keeps the ID of the session it logged in with.
// localStorage belongs to this origin (scheme, host and port), so another
// site on the same host cannot write it, though it can plant cookies: the
// page adopts no session but the one it logged in with.
const boundKey = 'coffer.sessionId';
const sessionChangedNotice = 'Your session changed outside this page: another site on this host may have replaced the session cookie. You have been logged out; log in again.';

function boundSession() {
  try { return localStorage.getItem(boundKey) || ''; } catch { return ''; }
}

function bindSession(id) {
  try {
    if (id) localStorage.setItem(boundKey, id);
    else localStorage.removeItem(boundKey);
  } catch { /* storage disabled: every reload asks for a login */ }
}
let cleanup = null;
let renderSeq = 0;

// routes maps a hash path pattern to its page and the role allowed to see it.
const routes = [
  { re: /^\/login$/, page: loginPage, role: null },
  { re: /^\/storage$/, page: storagePage, role: 'tenant' },
  { re: /^\/storage\/settings$/, page: settingsPage, role: 'tenant' },
  { re: /^\/storage\/c\/([^/]+)$/, page: browserPage, role: 'tenant' },
  { re: /^\/storage\/c\/([^/]+)\/settings$/, page: containerSettingsPage, role: 'tenant' },
  { re: /^\/admin\/overview$/, page: overviewPage, role: 'operator' },
  { re: /^\/admin\/tenants$/, page: tenantsPage, role: 'operator' },
  { re: /^\/admin\/tenants\/([^/]+)$/, page: tenantPage, role: 'operator' },
  { re: /^\/admin\/drives$/, page: drivesPage, role: 'operator' },
  { re: /^\/admin\/account$/, page: accountPage, role: 'operator' },
];

const aliases = { '/settings': '/storage/settings', '/admin': '/admin/overview', '/': '' };

function home() {
  if (!session) return '/login';
  return session.role === 'operator' ? '/admin/overview' : '/storage';
}

function currentPath() {
  const raw = location.hash.replace(/^#/, '') || '/';
  return raw.split('?')[0];
}

export function navigate(path) {
  if (currentPath() === path) route();
  else location.hash = `#${path}`;
}

function renderNav(path) {
  const items = !session ? [] : session.role === 'operator'
    ? [['Overview', '/admin/overview', 'overview'], ['Tenants', '/admin/tenants', 'tenants'], ['Drives', '/admin/drives', 'drive'], ['Account', '/admin/account', 'user']]
    : [['Storage', '/storage', 'storage']];
  sidebar.hidden = items.length === 0;
  shell.classList.toggle('no-nav', items.length === 0);
  clear(sidebar, h('ul', {}, items.map(([label, href, ic]) => {
    const current = path === href || path.startsWith(`${href}/`);
    return h('li', {}, h('a', { href: `#${href}`, 'aria-current': current ? 'page' : false }, icon(ic), label));
  })));
  who.hidden = !session;
  if (session) {
    document.getElementById('who-name').textContent =
      session.role === 'operator' ? `${session.username} (operator)` : `${session.username} · ${session.tenant}`;
  }
}

function route() {
  let path = currentPath();
  if (path in aliases) path = aliases[path] || home();
  // The query part (the object browser's ?prefix=) survives the rewrite.
  const query = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?')) : '';
  if (location.hash !== `#${path}${query}`) history.replaceState(null, '', `#${path}${query}`);
  let match = null;
  let params = [];
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) { match = r; params = m.slice(1).map(decodeURIComponent); break; }
  }
  if (!match) return navigate(home());
  if (match.role && !session) return navigate('/login');
  if (match.role && session.role !== match.role) return navigate(home());
  if (!match.role && session) return navigate(home());

  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } }
  cleanup = null;
  const seq = ++renderSeq;
  renderNav(path);
  if (session && session.role === 'tenant') refreshBanners();
  else hideBanners();
  clear(main);
  const ctx = {
    session,
    params,
    navigate,
    alive: () => seq === renderSeq,
    setTitle: (t) => { document.title = `${t} · Coffer`; },
    onLogin: (s) => { bindSession(s.sessionId); setSession(s); navigate(home()); },
    takeNotice: () => { const n = notice; notice = ''; return n; },
  };
  try {
    cleanup = match.page.render(main, ctx) || null;
  } catch (err) {
    clear(main, errorBox(err));
  }
  const heading = main.querySelector('h1');
  if (heading && document.activeElement && !main.contains(document.activeElement)) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function setSession(s) {
  session = s ? { username: s.username, role: s.role, tenant: s.tenant || '', csrfToken: s.csrfToken } : null;
  setCsrfToken(session ? session.csrfToken : '');
}

async function logout() {
  try { await api('POST', '/api/logout'); } catch { /* the session is gone either way */ }
  bindSession('');
  setSession(null);
  navigate('/login');
}

// dropForeignSession ends a session this page did not log in with (its
// cookie was planted) on the server, so the browser stops sending it.
async function dropForeignSession(me) {
  setCsrfToken(me.csrfToken);
  try { await api('POST', '/api/logout'); } catch { /* gone either way */ }
  setCsrfToken('');
}

async function start() {
  document.getElementById('logout').addEventListener('click', logout);
  setUnauthorizedHandler((err) => {
    if (err.data && err.data.sessionChanged) { notice = sessionChangedNotice; bindSession(''); }
    setSession(null);
    navigate('/login');
  });
  clear(main, loading());
  try {
    // /api/session answers 200 {authenticated: false} to a visitor who is not
    // logged in, so the first view of the login page logs no 401 in the console.
    const me = await api('GET', '/api/session');
    const bound = boundSession();
    if (!me.authenticated) {
      setSession(null);
    } else if (me.sessionId && me.sessionId === bound) {
      setSession(me);
    } else {
      // Not the session this browser logged in with: never adopt it.
      if (bound) notice = sessionChangedNotice;
      bindSession('');
      await dropForeignSession(me);
      setSession(null);
    }
  } catch (err) {
    if (err.data && err.data.sessionChanged) notice = sessionChangedNotice;
    if (err.status !== 401 && err.status !== 403) {
      clear(main, errorBox(err), h('button', { type: 'button', class: 'btn', onclick: start }, 'Try again'));
      return;
    }
    setSession(null);
  }
  window.addEventListener('hashchange', route);
  route();
}

start();
