// The review UI: a hash router over its views, one SSE connection for live changes, keyboard
// shortcuts dispatched to the current view. No framework; esbuild bundles it (src/review/ui-build.ts).
import { api } from './api.js';
import { translator, type Lang } from './i18n.js';
import { h, clear, toast, byId } from './dom.js';
import { dateTime } from './format.js';
import type { Ctx, View } from './context.js';
import type { Alerts, Camera, Change, Meta, Stats, User } from './types.js';
import { renderLogin } from './views/login.js';
import { renderQueue } from './views/queue.js';
import { renderEvent } from './views/event.js';
import { renderCameras } from './views/cameras.js';
import { renderUsers, renderAdminsOnly } from './views/users.js';
import { renderAccount } from './views/account.js';
import { renderAudit } from './views/audit.js';

const root = byId('app');
const EMPTY_META: Meta = { violations: [], contextColor: '#b0b0b0', rejectReasons: [], statuses: [], roles: [], auditActions: [], auditOutcomes: [], squads: [], passwordMinLength: 12, zones: [] };
const listeners = new Set<(change: Change) => void>();
let source: EventSource | null = null;
let current: View | null = null;

/** The server's violation names join the dictionary, so `t('violation.stall')` works in both languages. */
function withMeta(lang: Lang, meta: Meta) {
  return translator(lang, Object.fromEntries(meta.violations.map((v) => [`violation.${v.type}`, v.label[lang]])));
}

const ctx: Ctx = {
  lang: localStorage.getItem('patrol.lang') === 'en' ? 'en' : 'zh',
  t: translator('zh'),
  me: null,
  meta: EMPTY_META,
  cameras: [],
  stats: null,
  queueIds: [],
  queueQuery: '',
  live: false,
  cameraName(id) {
    return ctx.cameras.find((c) => c.id === id)?.name ?? id;
  },
  color(type) {
    return ctx.meta.violations.find((v) => v.type === type)?.color ?? ctx.meta.contextColor;
  },
  labelColor(type) {
    return ctx.meta.violations.find((v) => v.type === type)?.textColor ?? '#000';
  },
  navigate(hash) {
    if (location.hash === hash) void route();
    else location.hash = hash;
  },
  setLang(lang) {
    ctx.lang = lang;
    ctx.t = withMeta(lang, ctx.meta);
    localStorage.setItem('patrol.lang', lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    void route();
  },
  onChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  async refreshStats() {
    try {
      ctx.stats = await api<Stats>('/api/stats');
      renderCounts();
      window.dispatchEvent(new CustomEvent('patrol:stats'));
    } catch {
      // The next change retries.
    }
  },
};
ctx.t = translator(ctx.lang);
document.documentElement.lang = ctx.lang === 'zh' ? 'zh-CN' : 'en';

function parseHash(): { parts: string[]; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(qs) };
}

async function ensureSession(): Promise<boolean> {
  if (ctx.me) return true;
  try {
    ctx.me = (await api<{ user: User }>('/api/me')).user;
    const [meta, cams] = await Promise.all([api<Meta>('/api/meta'), api<{ cameras: Camera[] }>('/api/cameras')]);
    ctx.meta = meta;
    ctx.t = withMeta(ctx.lang, meta);
    // Badges, dots and drawn boxes all wear the snapshot's colours.
    for (const v of meta.violations) document.documentElement.style.setProperty(`--${v.type}`, v.color);
    ctx.cameras = cams.cameras;
    startStream();
    void ctx.refreshStats();
    void refreshAlerts();
    return true;
  } catch {
    return false;
  }
}

async function route(): Promise<void> {
  current?.dispose?.();
  current = null;
  const { parts, params } = parseHash();
  if (parts[0] === 'login' || !(await ensureSession())) {
    renderShell(false);
    current = renderLogin(byId('view'), ctx, async () => {
      await ensureSession();
      ctx.navigate('#/queue');
    });
    return;
  }
  const page = parts[0] ?? 'queue';
  renderShell(true, page);
  const view = byId('view');
  const isAdmin = ctx.me?.role === 'admin';
  if (page === 'events' && parts[1]) current = renderEvent(view, ctx, parts[1]);
  else if (page === 'cameras') current = renderCameras(view, ctx);
  else if (page === 'users') current = isAdmin ? renderUsers(view, ctx) : renderAdminsOnly(view, ctx);
  else if (page === 'audit') current = isAdmin ? renderAudit(view, ctx, params) : renderAdminsOnly(view, ctx, 'audit.title');
  else if (page === 'account') current = renderAccount(view, ctx);
  else current = renderQueue(view, ctx, params);
}

function renderShell(authed: boolean, active?: string): void {
  const t = ctx.t;
  clear(root);
  const nav = (hash: string, key: string, name: string) => h('a', { href: hash, class: `nav-link${active === name ? ' active' : ''}` }, t(key));
  const me = authed ? ctx.me : null;
  root.append(
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('span', { class: 'brand-name' }, t('app.title')), h('span', { class: 'brand-sub' }, t('app.subtitle'))),
      me
        ? h(
            'nav',
            { class: 'nav' },
            nav('#/queue', 'nav.queue', 'queue'),
            nav('#/cameras', 'nav.cameras', 'cameras'),
            // Only admins manage users and read the audit log (the API answers 403 to anyone else).
            me.role === 'admin' ? nav('#/users', 'nav.users', 'users') : null,
            me.role === 'admin' ? nav('#/audit', 'nav.audit', 'audit') : null,
            h('a', { href: '/docs', class: 'nav-link', target: '_blank', rel: 'noopener' }, t('nav.docs')),
          )
        : null,
      h('div', { class: 'spacer' }),
      me ? h('div', { id: 'counts', class: 'counts' }) : null,
      me ? h('a', { id: 'alerts', class: 'alerts', href: '#/cameras', hidden: true }) : null,
      me ? h('span', { id: 'live-dot', class: `live-dot ${ctx.live ? 'on' : 'off'}`, title: t(ctx.live ? 'live.connected' : 'live.disconnected') }, h('span', { class: 'live-label' }, t(ctx.live ? 'live.connected' : 'live.disconnected'))) : null,
      h('button', { class: 'btn btn-ghost lang', onclick: () => ctx.setLang(ctx.lang === 'zh' ? 'en' : 'zh'), title: 'Language / 语言' }, t('lang.toggle')),
      me
        ? h(
            'div',
            { class: 'user' },
            h('a', { class: 'user-name', href: '#/account', title: t('account.title') }, me.username),
            h('span', { class: 'role-tag' }, t(`role.${me.role}`)),
            h('button', { class: 'btn btn-ghost logout', onclick: logout }, t('user.logout')),
          )
        : null,
    ),
    h('main', { id: 'view', class: 'view' }),
    h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }),
  );
  renderCounts();
  renderAlerts();
}

/** Camera health alerts in the top bar: how many are open, each with its camera and start in the tooltip. */
let alerts: Alerts['alerts'] = [];
function renderAlerts(): void {
  const el = document.getElementById('alerts');
  if (!el) return;
  el.hidden = alerts.length === 0;
  // On a phone only the number shows; the sentence is the tooltip's first line there.
  clear(el).append(h('span', { class: 'alerts-n' }, `⚠ ${alerts.length}`), h('span', { class: 'alerts-label' }, ctx.t('alerts.count', { n: alerts.length })));
  el.title = [ctx.t('alerts.count', { n: alerts.length }), ...alerts.map((a) => `${a.cameraName}: ${ctx.t(`alert.${a.check}`)} · ${ctx.t('camera.alertSince')} ${dateTime(a.since)}`)].join('\n');
}

async function refreshAlerts(): Promise<void> {
  if (!ctx.me) return;
  try {
    alerts = (await api<Alerts>('/api/alerts')).alerts;
    renderAlerts();
  } catch {
    // The next poll retries.
  }
}
// Health alerts come from the workers' reports, not the event stream: poll them.
setInterval(() => void refreshAlerts(), 15_000);

/** English names are long for the top bar: a short form where the dictionary has one, else the full name. */
function shortLabel(type: string): string {
  const key = `violation.short.${type}`;
  const short = ctx.t(key);
  return short === key ? ctx.t(`violation.${type}`) : short;
}

function renderCounts(): void {
  const el = document.getElementById('counts');
  if (!el || !ctx.stats) return;
  const t = ctx.t;
  const s = ctx.stats;
  clear(el);
  for (const { type } of ctx.meta.violations) {
    // The short name stays visible in both languages; the full one is the tooltip.
    el.append(
      h(
        'span',
        { class: `count type-${type}`, title: t(`violation.${type}`), 'data-type': type },
        h('i', { class: 'dot' }),
        h('span', { class: 'count-label' }, shortLabel(type)),
        h('b', {}, String(s.byType[type] ?? 0)),
      ),
    );
  }
  el.append(h('span', { class: 'count-sep' }));
  for (const st of ['new', 'confirmed', 'dispatched'] as const) {
    el.append(h('span', { class: `count status-count st-${st}` }, h('span', { class: 'count-label' }, t(`status.${st}`)), h('b', {}, String(s.byStatus[st] ?? 0))));
  }
}

function setLive(on: boolean): void {
  ctx.live = on;
  const dot = document.getElementById('live-dot');
  if (dot) {
    dot.className = `live-dot ${on ? 'on' : 'off'}`;
    dot.title = ctx.t(on ? 'live.connected' : 'live.disconnected');
    const label = dot.querySelector('.live-label');
    if (label) label.textContent = dot.title;
  }
}

let statsTimer: ReturnType<typeof setTimeout> | undefined;
function startStream(): void {
  source?.close();
  const es = new EventSource('/api/stream');
  source = es;
  es.addEventListener('open', () => setLive(true));
  es.addEventListener('error', () => setLive(false));
  es.addEventListener('change', (msg) => {
    const notice = JSON.parse((msg as MessageEvent<string>).data) as Change;
    for (const fn of [...listeners]) fn(notice);
    if (notice.cause === 'opened') {
      const e = notice.event;
      toast(`${ctx.t('queue.newEvent')}：${ctx.t(`violation.${e.type}`)} · ${ctx.cameraName(e.cameraId)}`, `type-${e.type}`);
    }
    clearTimeout(statsTimer);
    statsTimer = setTimeout(() => void ctx.refreshStats(), 300);
  });
}

function signedOut(): void {
  source?.close();
  source = null;
  ctx.me = null;
  ctx.navigate('#/login');
}

async function logout(): Promise<void> {
  try {
    await api('/api/logout', { method: 'POST', body: {} });
  } finally {
    signedOut();
  }
}

window.addEventListener('patrol:unauthorized', () => {
  if (ctx.me) signedOut();
});

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (target instanceof HTMLElement && (target.closest('input, textarea, select') || target.isContentEditable)) return;
  if (document.querySelector('dialog[open]')) return;
  current?.onKey?.(e);
});

window.addEventListener('hashchange', () => void route());
void route();
