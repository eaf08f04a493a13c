import { api, query } from '../api.js';
import { h, clear } from '../dom.js';
import { dateTime } from '../format.js';
import type { Ctx, View } from '../context.js';
import type { AuditEntry, AuditPage } from '../types.js';

const PAGE = 100;
/** `YYYY-MM-DDTHH:mm` (what a datetime-local input holds) ⇄ epoch ms, in the browser's zone. */
const fromLocal = (v: string): number | undefined => (v ? new Date(v).getTime() : undefined);
function toLocal(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** The audit log (admin): who did what, when, from where; filters live in the address, so a view can be shared. */
export function renderAudit(root: HTMLElement, ctx: Ctx, params: URLSearchParams): View {
  const t = ctx.t;
  let disposed = false;
  let items: AuditEntry[] = [];
  let total = 0;
  const num = (k: string) => (params.get(k) ? Number(params.get(k)) : undefined);
  const filters = { actor: params.get('actor') ?? '', action: params.get('action') ?? '', target: params.get('target') ?? '', outcome: params.get('outcome') ?? '', from: num('from'), to: num('to') };

  const actor = h('input', { name: 'actor', value: filters.actor, maxlength: 200, placeholder: t('audit.actor') });
  const target = h('input', { name: 'target', value: filters.target, maxlength: 200, placeholder: t('audit.target') });
  const action = h('select', { name: 'action' }, h('option', { value: '' }, t('audit.allActions')), ctx.meta.auditActions.map((a) => h('option', { value: a, selected: a === filters.action }, t(`audit.action.${a}`))));
  const outcome = h('select', { name: 'outcome' }, h('option', { value: '' }, t('audit.allOutcomes')), ctx.meta.auditOutcomes.map((o) => h('option', { value: o, selected: o === filters.outcome }, t(`audit.outcome.${o}`))));
  const from = h('input', { name: 'from', type: 'datetime-local', value: toLocal(filters.from) });
  const to = h('input', { name: 'to', type: 'datetime-local', value: toLocal(filters.to) });
  const form = h(
    'form',
    {
      class: 'panel audit-filters',
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault();
        ctx.navigate(`#/audit${query({ actor: actor.value.trim(), action: action.value, target: target.value.trim(), outcome: outcome.value, from: fromLocal(from.value), to: fromLocal(to.value) })}`);
      },
    },
    h('label', {}, h('span', {}, t('audit.actor')), actor),
    h('label', {}, h('span', {}, t('audit.action')), action),
    h('label', {}, h('span', {}, t('audit.target')), target),
    h('label', {}, h('span', {}, t('audit.outcome')), outcome),
    h('label', {}, h('span', {}, t('audit.from')), from),
    h('label', {}, h('span', {}, t('audit.to')), to),
    h('div', { class: 'audit-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('audit.apply')), h('a', { href: '#/audit', class: 'btn btn-ghost' }, t('filter.clear'))),
  );

  const count = h('span', { class: 'muted' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table audit-table' },
    h('thead', {}, h('tr', {}, ...['audit.at', 'audit.actor', 'audit.ip', 'audit.action', 'audit.target', 'audit.outcome', 'audit.detail'].map((k) => h('th', {}, t(k))))),
    body,
  );
  const more = h('button', { class: 'btn btn-ghost more', hidden: true, onclick: () => void load(items.length) }, t('queue.more'));
  const box = h('section', { class: 'panel' }, h('div', { class: 'table-scroll' }, table), more);

  function row(e: AuditEntry) {
    return h(
      'tr',
      { 'data-action': e.action, class: `outcome-${e.outcome}` },
      h('td', { class: 'mono nowrap' }, dateTime(e.at)),
      h('td', {}, e.actor),
      h('td', { class: 'mono' }, e.ip ?? '—'),
      h('td', {}, h('span', { class: 'audit-action', title: e.action }, t(`audit.action.${e.action}`))),
      h('td', { class: 'mono' }, e.target ?? '—'),
      h('td', {}, h('span', { class: `state-pill ${e.outcome === 'ok' ? 'ok' : 'bad'}` }, h('i', { class: 'dot' }), t(`audit.outcome.${e.outcome}`))),
      h('td', { class: 'mono audit-detail' }, e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : ''),
    );
  }

  async function load(offset = 0) {
    const q = query({ actor: filters.actor, action: filters.action, target: filters.target, outcome: filters.outcome, from: filters.from, to: filters.to, limit: PAGE, offset });
    try {
      const page = await api<AuditPage>(`/api/audit${q}`);
      if (disposed) return;
      items = offset === 0 ? page.items : [...items, ...page.items];
      total = page.total;
      count.textContent = t('audit.total', { n: total });
      clear(body).append(...items.map(row));
      box.querySelector('.empty')?.remove();
      if (items.length === 0) box.append(h('div', { class: 'empty' }, t('audit.empty')));
      more.hidden = items.length >= total;
    } catch {
      if (!disposed) box.append(h('div', { class: 'empty' }, t('error.generic')));
    }
  }

  clear(root).append(h('div', { class: 'audit-page' }, h('div', { class: 'page-head head-row' }, h('h2', {}, t('audit.title')), count), form, box));
  void load();
  return {
    dispose() {
      disposed = true;
    },
  };
}
