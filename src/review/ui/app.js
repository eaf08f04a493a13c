// The review UI: a hash router over its views, one SSE connection for live changes, keyboard
// shortcuts dispatched to the current view. No framework, no build step.
import { api } from './api.js';
import { translator } from './i18n.js';
import { h, clear, toast } from './dom.js';
import { renderLogin } from './views/login.js';
import { renderQueue } from './views/queue.js';
import { renderEvent } from './views/event.js';
import { renderCameras } from './views/cameras.js';
import { renderUsers, renderAdminsOnly } from './views/users.js';

const root = document.getElementById('app');

const ctx = {
  lang: localStorage.getItem('patrol.lang') === 'en' ? 'en' : 'zh',
  t: translator('zh'),
  me: null,
  cameras: [],
  stats: null,
  /** The queue as last listed (ids in order), for J/K on the event page. */
  queueIds: [],
  queueQuery: '',
  live: false,
  view: null,
  source: null,
  listeners: new Set(),
  cameraName(id) {
    return ctx.cameras.find((c) => c.id === id)?.name ?? id;
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  setLang(lang) {
    ctx.lang = lang;
    ctx.t = translator(lang);
    localStorage.setItem('patrol.lang', lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    route();
  },
  onChange(fn) {
    ctx.listeners.add(fn);
    return () => ctx.listeners.delete(fn);
  },
  async refreshStats() {
    try {
      ctx.stats = await api('/api/stats');
      renderCounts();
      window.dispatchEvent(new CustomEvent('patrol:stats'));
    } catch {
      // The next change retries.
    }
  },
};
ctx.t = translator(ctx.lang);
document.documentElement.lang = ctx.lang === 'zh' ? 'zh-CN' : 'en';

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(qs) };
}

async function ensureSession() {
  if (ctx.me) return true;
  try {
    ctx.me = (await api('/api/me')).user;
    ctx.cameras = (await api('/api/cameras')).cameras;
    startStream();
    ctx.refreshStats();
    return true;
  } catch {
    return false;
  }
}

async function route() {
  ctx.view?.dispose?.();
  ctx.view = null;
  const { parts, params } = parseHash();
  if (parts[0] === 'login' || !(await ensureSession())) {
    renderShell(false);
    ctx.view = renderLogin(document.getElementById('view'), ctx, async () => {
      await ensureSession();
      ctx.navigate('#/queue');
    });
    return;
  }
  renderShell(true, parts[0] ?? 'queue');
  const view = document.getElementById('view');
  if (parts[0] === 'events' && parts[1]) ctx.view = renderEvent(view, ctx, parts[1]);
  else if (parts[0] === 'cameras') ctx.view = renderCameras(view, ctx);
  else if (parts[0] === 'users') ctx.view = ctx.me.role === 'admin' ? renderUsers(view, ctx) : renderAdminsOnly(view, ctx);
  else ctx.view = renderQueue(view, ctx, params);
}

function renderShell(authed, active) {
  const t = ctx.t;
  clear(root);
  const nav = (hash, key, name) => h('a', { href: hash, class: `nav-link${active === name ? ' active' : ''}` }, t(key));
  root.append(
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('span', { class: 'brand-name' }, t('app.title')), h('span', { class: 'brand-sub' }, t('app.subtitle'))),
      authed
        ? h(
            'nav',
            { class: 'nav' },
            nav('#/queue', 'nav.queue', 'queue'),
            nav('#/cameras', 'nav.cameras', 'cameras'),
            // Only admins manage users (the API answers 403 to anyone else).
            ctx.me?.role === 'admin' ? nav('#/users', 'nav.users', 'users') : null,
            h('a', { href: '/docs', class: 'nav-link', target: '_blank', rel: 'noopener' }, t('nav.docs')),
          )
        : null,
      h('div', { class: 'spacer' }),
      authed ? h('div', { id: 'counts', class: 'counts' }) : null,
      authed ? h('span', { id: 'live-dot', class: `live-dot ${ctx.live ? 'on' : 'off'}`, title: t(ctx.live ? 'live.connected' : 'live.disconnected') }, t(ctx.live ? 'live.connected' : 'live.disconnected')) : null,
      h('button', { class: 'btn btn-ghost lang', onclick: () => ctx.setLang(ctx.lang === 'zh' ? 'en' : 'zh'), title: 'Language / 语言' }, t('lang.toggle')),
      authed && ctx.me
        ? h('div', { class: 'user' }, h('span', { class: 'user-name' }, ctx.me.username), h('span', { class: 'role-tag' }, t(`role.${ctx.me.role}`)), h('button', { class: 'btn btn-ghost', onclick: logout }, t('user.logout')))
        : null,
    ),
    h('main', { id: 'view', class: 'view' }),
    h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }),
  );
  renderCounts();
}

function renderCounts() {
  const el = document.getElementById('counts');
  if (!el || !ctx.stats) return;
  const t = ctx.t;
  const s = ctx.stats;
  clear(el);
  for (const type of ['stall', 'dumping', 'burning']) {
    el.append(h('span', { class: `count type-${type}`, title: t(`violation.${type}`) }, h('i', { class: 'dot' }), h('span', { class: 'count-label' }, t(`violation.${type}`)), h('b', {}, String(s.byType[type] ?? 0))));
  }
  el.append(h('span', { class: 'count-sep' }));
  for (const st of ['new', 'confirmed', 'dispatched']) {
    el.append(h('span', { class: `count status-count st-${st}` }, t(`status.${st}`), h('b', {}, String(s.byStatus[st] ?? 0))));
  }
}

function setLive(on) {
  ctx.live = on;
  const dot = document.getElementById('live-dot');
  if (dot) {
    dot.className = `live-dot ${on ? 'on' : 'off'}`;
    dot.textContent = ctx.t(on ? 'live.connected' : 'live.disconnected');
  }
}

let statsTimer = null;
function startStream() {
  ctx.source?.close();
  const es = new EventSource('/api/stream');
  ctx.source = es;
  es.addEventListener('open', () => setLive(true));
  es.addEventListener('error', () => setLive(false));
  es.addEventListener('change', (msg) => {
    const notice = JSON.parse(msg.data);
    for (const fn of [...ctx.listeners]) fn(notice);
    if (notice.cause === 'opened') {
      const e = notice.event;
      toast(`${ctx.t('queue.newEvent')}：${ctx.t(`violation.${e.type}`)} · ${ctx.cameraName(e.cameraId)}`, `type-${e.type}`);
    }
    clearTimeout(statsTimer);
    statsTimer = setTimeout(() => ctx.refreshStats(), 300);
  });
}

async function logout() {
  try {
    await api('/api/logout', { method: 'POST', body: {} });
  } finally {
    ctx.source?.close();
    ctx.source = null;
    ctx.me = null;
    ctx.navigate('#/login');
  }
}

window.addEventListener('patrol:unauthorized', () => {
  if (!ctx.me) return;
  ctx.me = null;
  ctx.source?.close();
  ctx.navigate('#/login');
});

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (target instanceof HTMLElement && (target.closest('input, textarea, select') || target.isContentEditable)) return;
  if (document.querySelector('dialog[open]')) return;
  ctx.view?.onKey?.(e);
});

window.addEventListener('hashchange', route);
route();
