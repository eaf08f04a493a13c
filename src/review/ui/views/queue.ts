import { api, mediaUrl, query } from '../api.js';
import { h, clear } from '../dom.js';
import { ago, clock, duration, pct } from '../format.js';
import type { Translate } from '../i18n.js';
import type { Ctx, View } from '../context.js';
import type { EventPage, ReviewEvent, ReviewStatus, ViolationType } from '../types.js';

const PAGE = 50;

export function statusPill(t: Translate, status: ReviewStatus): HTMLElement {
  return h('span', { class: `pill st-${status}` }, t(`status.${status}`));
}

export function typeBadge(ctx: Ctx, type: ViolationType): HTMLElement {
  return h('span', { class: `badge type-${type}` }, h('i', { class: 'dot' }), ctx.t(`violation.${type}`));
}

type Filters = { type: string; status: string; camera: string };

/** The event queue: filters on the left (above, on a narrow screen), a dense list, live updates from SSE. */
export function renderQueue(root: HTMLElement, ctx: Ctx, params: URLSearchParams): View {
  const t = ctx.t;
  const filters: Filters = {
    type: params.get('type') || '',
    status: params.get('status') || '',
    camera: params.get('camera') || '',
  };
  let items: ReviewEvent[] = [];
  let total = 0;
  let selected = 0;

  const setFilter = (k: keyof Filters, v: string) => {
    const next = { ...filters, [k]: filters[k] === v ? '' : v };
    ctx.navigate(`#/queue${query(next)}`);
  };

  const list = h('div', { class: 'queue-list', role: 'list' });
  const header = h('div', { class: 'queue-head' });
  const more = h('button', { class: 'btn btn-ghost more', onclick: () => void load(items.length) }, t('queue.more'));

  const side = h('aside', { class: 'filters' });
  function renderFilters() {
    const s = ctx.stats;
    clear(side).append(
      h('h3', {}, t('filter.type')),
      h('div', { class: 'filter-group' }, [
        h('button', { class: `filter${filters.type === '' ? ' on' : ''}`, onclick: () => setFilter('type', '') }, t('filter.all'), h('b', {}, String(s?.total ?? ''))),
        ...ctx.meta.violations.map(({ type: ty }) =>
          h(
            'button',
            { class: `filter type-${ty}${filters.type === ty ? ' on' : ''}`, 'data-type': ty, onclick: () => setFilter('type', ty) },
            h('i', { class: 'dot' }),
            t(`violation.${ty}`),
            h('b', {}, String(s?.byType[ty] ?? 0)),
          ),
        ),
      ]),
      h('h3', {}, t('filter.status')),
      h('div', { class: 'filter-group' }, [
        h('button', { class: `filter${filters.status === '' ? ' on' : ''}`, onclick: () => setFilter('status', '') }, t('filter.all')),
        ...ctx.meta.statuses.map((st) =>
          h('button', { class: `filter st-${st}${filters.status === st ? ' on' : ''}`, 'data-status': st, onclick: () => setFilter('status', st) }, h('i', { class: 'sq' }), t(`status.${st}`), h('b', {}, String(s?.byStatus[st] ?? 0))),
        ),
      ]),
      h('h3', {}, t('filter.camera')),
      h(
        'select',
        { class: 'select', 'aria-label': t('filter.camera'), onchange: (e: Event) => ctx.navigate(`#/queue${query({ ...filters, camera: (e.target as HTMLSelectElement).value })}`) },
        h('option', { value: '' }, t('filter.allCameras')),
        ctx.cameras.map((c) => h('option', { value: c.id, selected: filters.camera === c.id }, c.name)),
      ),
      ...(filters.type || filters.status || filters.camera ? [h('button', { class: 'btn btn-ghost clear', onclick: () => ctx.navigate('#/queue') }, t('filter.clear'))] : []),
      h('p', { class: 'hint' }, t('queue.hint')),
    );
  }

  function row(e: ReviewEvent, i: number) {
    const end = e.endedAt ?? e.lastSeenAt;
    const thumb = e.evidence.snapshot
      ? h('img', { src: mediaUrl(e.id, 'snapshot'), alt: '', loading: 'lazy', onerror: (ev: Event) => (ev.target as HTMLElement).replaceWith(h('div', { class: 'thumb-missing' }, '⚠')) })
      : h('div', { class: 'thumb-missing' }, '—');
    return h(
      'a',
      {
        class: `event-row${i === selected ? ' selected' : ''}${e.status === 'new' ? ' is-new' : ''}`,
        href: `#/events/${encodeURIComponent(e.id)}`,
        role: 'listitem',
        'data-id': e.id,
        onmouseenter: () => select(i, false),
      },
      h('div', { class: `thumb type-${e.type}` }, thumb, e.evidence.clip ? h('span', { class: 'clip-tag' }, '▶') : null),
      h(
        'div',
        { class: 'row-main' },
        h('div', { class: 'row-top' }, typeBadge(ctx, e.type), statusPill(t, e.status), e.endedAt == null ? h('span', { class: 'ongoing' }, t('queue.ongoing')) : h('span', { class: 'ended' }, t('queue.ended'))),
        h('div', { class: 'row-title' }, ctx.cameraName(e.cameraId), h('span', { class: 'zone' }, ` · ${e.zoneId}`)),
        h(
          'div',
          { class: 'row-meta' },
          h('span', {}, h('span', { class: 'lbl' }, t('event.confirmedAt')), clock(e.confirmedAt), h('span', { class: 'muted' }, ` · ${ago(e.confirmedAt, t)}`)),
          h('span', {}, h('span', { class: 'lbl' }, t('event.duration')), duration(end - e.startedAt)),
        ),
      ),
      h(
        'div',
        { class: 'row-side' },
        h('div', { class: 'score' }, h('div', { class: 'score-bar' }, h('i', { style: { width: pct(e.peakScore) } })), h('span', {}, pct(e.peakScore))),
        h('code', { class: 'eid', title: e.id }, e.id),
      ),
    );
  }

  function renderList() {
    clear(header).append(h('span', { class: 'total' }, t('queue.total', { n: total })));
    clear(list);
    if (items.length === 0) list.append(h('div', { class: 'empty' }, t('queue.empty')));
    items.forEach((e, i) => list.append(row(e, i)));
    more.hidden = items.length >= total;
    ctx.queueIds = items.map((e) => e.id);
  }

  function select(i: number, scroll = true) {
    if (items.length === 0) return;
    selected = Math.max(0, Math.min(items.length - 1, i));
    list.querySelectorAll('.event-row').forEach((el, j) => el.classList.toggle('selected', j === selected));
    if (scroll) list.children[selected]?.scrollIntoView({ block: 'nearest' });
  }

  const apiQuery = (offset: number) => query({ type: filters.type, status: filters.status, camera: filters.camera, limit: PAGE, offset });
  async function load(offset = 0) {
    const page = await api<EventPage>(`/api/events${apiQuery(offset)}`);
    items = offset === 0 ? page.items : [...items, ...page.items];
    total = page.total;
    renderList();
  }

  const matches = (e: ReviewEvent) => (!filters.type || e.type === filters.type) && (!filters.status || e.status === filters.status) && (!filters.camera || e.cameraId === filters.camera);
  const offChange = ctx.onChange(({ cause, event }) => {
    const i = items.findIndex((x) => x.id === event.id);
    if (i >= 0) {
      items[i] = event;
      renderList();
      list.querySelector(`[data-id="${CSS.escape(event.id)}"]`)?.classList.add('flash');
    } else if (matches(event) && cause === 'opened') {
      items = [event, ...items];
      total++;
      if (selected > 0) selected++;
      renderList();
      list.firstElementChild?.classList.add('flash', 'arrived');
    }
  });
  // The counts beside each filter follow the stats the shell refreshes after every change.
  const onStats = () => renderFilters();
  window.addEventListener('patrol:stats', onStats);

  renderFilters();
  ctx.queueQuery = apiQuery(0);
  clear(root).append(h('div', { class: 'queue-layout' }, side, h('section', { class: 'queue-main' }, header, list, more)));
  load().catch(() => list.append(h('div', { class: 'empty' }, t('error.generic'))));

  return {
    dispose() {
      offChange();
      window.removeEventListener('patrol:stats', onStats);
    },
    onKey(e) {
      const k = e.key.toLowerCase();
      const current = items[selected];
      if (k === 'j' || e.key === 'ArrowDown') select(selected + 1);
      else if (k === 'k' || e.key === 'ArrowUp') select(selected - 1);
      else if ((k === 'enter' || k === 'o') && current) ctx.navigate(`#/events/${encodeURIComponent(current.id)}`);
      else return;
      e.preventDefault();
    },
  };
}
