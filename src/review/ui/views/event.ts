import { api, errorInfo, mediaUrl } from '../api.js';
import { h, clear, toast } from '../dom.js';
import { clock, dateTime, duration, pct } from '../format.js';
import { pickRejectReason, dispatchForm } from '../dialogs.js';
import { statusPill, typeBadge } from './queue.js';
import type { Ctx, View } from '../context.js';
import type { EventDetail, EventPage, ReviewActionName, ReviewEvent, TimelineEntry } from '../types.js';

const ACTIONS: { name: ReviewActionName; key: string; cls: string }[] = [
  { name: 'confirm', key: 'C', cls: 'btn-confirm' },
  { name: 'reject', key: 'R', cls: 'btn-danger' },
  { name: 'dispatch', key: 'D', cls: 'btn-primary' },
  { name: 'close', key: 'X', cls: 'btn-ghost' },
];

type Box = ReviewEvent['bestBoxes'][number];
type ProofKey = 'beforeAfter' | 'firstSeen' | 'confirmed' | 'latest';
type PictureKey = 'snapshot' | ProofKey;

/** Draws the detections (normalized [x1,y1,x2,y2]) over an image, on a canvas of the image's shown size. */
function drawBoxes(canvas: HTMLCanvasElement, img: HTMLImageElement, boxes: readonly Box[], ctx: Ctx): void {
  const w = img.clientWidth;
  const hgt = img.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${hgt}px`;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, hgt);
  g.font = '600 12px system-ui, "Noto Sans CJK SC", sans-serif';
  for (const d of boxes) {
    const [x1, y1, x2, y2] = d.box;
    const color = ctx.color(d.violation);
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.strokeRect(x1 * w, y1 * hgt, (x2 - x1) * w, (y2 - y1) * hgt);
    const label = `${d.label} ${pct(d.score)}`;
    const tw = g.measureText(label).width + 8;
    const ly = Math.max(0, y1 * hgt - 18);
    g.fillStyle = color;
    g.fillRect(x1 * w - 1, ly, tw, 18);
    g.fillStyle = ctx.labelColor(d.violation);
    g.fillText(label, x1 * w + 3, ly + 13);
  }
}

export function renderEvent(root: HTMLElement, ctx: Ctx, id: string): View {
  const t = ctx.t;
  let data: EventDetail | null = null;
  let showBoxes = localStorage.getItem('patrol.boxes') !== '0';
  let mode: 'clip' | 'snapshot' | null = null;
  let snapshotKey: PictureKey = 'snapshot';
  let resizeObs: ResizeObserver | null = null;
  let busy = false;

  clear(root).append(h('div', { class: 'loading' }, '…'));

  async function load() {
    try {
      data = await api<EventDetail>(`/api/events/${encodeURIComponent(id)}`);
    } catch (err) {
      clear(root).append(h('div', { class: 'empty' }, errorInfo(err).status === 404 ? t('event.notFound') : t('error.generic')), h('a', { href: '#/queue', class: 'btn btn-ghost' }, t('event.back')));
      return;
    }
    if (!mode) mode = data.event.evidence.clip ? 'clip' : 'snapshot';
    render();
  }

  function mediaPane(e: ReviewEvent) {
    const pane = h('div', { class: 'media' });
    // Boxes are drawn here over the box-free frame; other pictures carry theirs, so the toggle has nothing to do.
    const key: PictureKey = e.evidence[snapshotKey] ? snapshotKey : 'snapshot';
    const overlay = mode === 'snapshot' && key === 'snapshot' && Boolean(e.evidence.frame);
    const tabs = h(
      'div',
      { class: 'media-tabs' },
      e.evidence.clip ? h('button', { class: `tab${mode === 'clip' ? ' on' : ''}`, onclick: () => setMode('clip') }, '▶ ', t('event.clip')) : h('span', { class: 'muted small' }, t('event.noClip')),
      h('button', { class: `tab${mode === 'snapshot' ? ' on' : ''}`, onclick: () => setMode('snapshot', 'snapshot') }, t('event.snapshot')),
      h('div', { class: 'spacer' }),
      h(
        'label',
        { class: `toggle${overlay ? '' : ' off'}`, title: overlay ? '' : t('event.boxesBurned') },
        h('input', { type: 'checkbox', id: 'boxes-toggle', checked: showBoxes, disabled: !overlay, onchange: (ev: Event) => setBoxes((ev.target as HTMLInputElement).checked) }),
        h('span', {}, t('event.boxes')),
        h('kbd', {}, 'B'),
      ),
    );
    pane.append(tabs);
    if (mode === 'clip' && e.evidence.clip) {
      const video = h('video', { id: 'clip', src: mediaUrl(e.id, 'clip'), controls: true, autoplay: true, muted: true, loop: true, playsinline: true, preload: 'auto' });
      // `muted` as an attribute is not the property; set it so autoplay is allowed.
      video.muted = true;
      pane.append(h('div', { class: 'stage' }, video));
    } else if (!e.evidence[key]) {
      pane.append(h('div', { class: 'stage empty' }, t('event.noSnapshot')));
    } else {
      const img = h('img', { id: 'snapshot', src: mediaUrl(e.id, overlay ? 'frame' : key), alt: t('event.snapshot') });
      const canvas = h('canvas', { class: 'boxes', hidden: !showBoxes || !overlay, 'data-overlay': overlay ? '1' : '0' });
      const frame = h('div', { class: 'frame' }, img, canvas);
      const redraw = () => {
        if (img.complete && img.naturalWidth > 0) drawBoxes(canvas, img, e.bestBoxes, ctx);
      };
      img.addEventListener('load', redraw);
      img.addEventListener('error', () => frame.replaceWith(h('div', { class: 'stage empty error' }, '⚠ ', t('event.mediaError'))));
      resizeObs?.disconnect();
      resizeObs = new ResizeObserver(redraw);
      resizeObs.observe(img);
      pane.append(h('div', { class: 'stage' }, frame));
    }
    return pane;
  }

  function persistenceStrip(e: ReviewEvent) {
    const all: [ProofKey, string, number][] = [
      // The scene model's pair: the zone as it normally looks beside the moment the event opened.
      ['beforeAfter', 'event.beforeAfter', e.confirmedAt],
      ['firstSeen', 'event.firstSeen', e.startedAt],
      ['confirmed', 'event.confirmed', e.confirmedAt],
      ['latest', 'event.latest', e.endedAt ?? e.lastSeenAt],
    ];
    const items = all.filter(([k]) => e.evidence[k]);
    if (items.length === 0) return null;
    return h(
      'section',
      { class: 'panel strip' },
      h('h3', {}, t('event.persistence')),
      h(
        'div',
        { class: 'strip-items' },
        items.map(([k, label, at]) =>
          h(
            'button',
            { class: `proof${mode === 'snapshot' && snapshotKey === k ? ' on' : ''}`, onclick: () => setMode('snapshot', k), 'data-proof': k },
            h('img', { src: mediaUrl(e.id, k), alt: t(label), loading: 'lazy' }),
            h('span', { class: 'proof-label' }, t(label)),
            h('span', { class: 'proof-time' }, clock(at), h('small', {}, `+${duration(at - e.startedAt)}`)),
          ),
        ),
      ),
    );
  }

  function actionsPanel(d: EventDetail) {
    return h(
      'section',
      { class: 'panel actions' },
      h('div', { class: 'status-line' }, h('h3', {}, t('event.actions')), statusPill(t, d.event.status)),
      h(
        'div',
        { class: 'action-buttons' },
        ACTIONS.map((a) =>
          h(
            'button',
            { class: `btn ${a.cls}`, 'data-action': a.name, disabled: !d.allowedActions.includes(a.name) || busy, onclick: () => void act(a.name), title: `${t(`action.${a.name}`)} (${a.key})` },
            t(`action.${a.name}`),
            h('kbd', {}, a.key),
          ),
        ),
      ),
      h('p', { class: 'hint' }, t('help.keys')),
    );
  }

  function details(e: ReviewEvent) {
    const row = (k: string, v: string, cls?: string) => [h('dt', {}, t(k)), h('dd', { class: cls }, v)];
    return h(
      'section',
      { class: 'panel' },
      h('h3', {}, t('event.details')),
      h(
        'dl',
        { class: 'details' },
        row('event.camera', `${ctx.cameraName(e.cameraId)} (${e.cameraId})`),
        row('event.zone', e.zoneId),
        row('event.started', dateTime(e.startedAt)),
        row('event.confirmedAt', dateTime(e.confirmedAt)),
        row('event.lastSeen', dateTime(e.lastSeenAt)),
        row('event.endedAt', e.endedAt != null ? dateTime(e.endedAt) : t('queue.ongoing')),
        row('event.duration', duration((e.endedAt ?? e.lastSeenAt) - e.startedAt)),
        row('event.peak', pct(e.peakScore)),
        row('event.model', e.model, 'mono'),
        row('event.id', e.id, 'mono'),
      ),
    );
  }

  function history(entries: readonly TimelineEntry[]) {
    return h(
      'section',
      { class: 'panel' },
      h('h3', {}, t('event.history')),
      h(
        'ol',
        { class: 'timeline' },
        entries.map((x) =>
          h(
            'li',
            { class: `tl tl-${x.source} tl-${x.action}` },
            h('span', { class: 'tl-time' }, dateTime(x.at)),
            h(
              'div',
              { class: 'tl-body' },
              h('b', {}, t(`history.${x.action}`)),
              ' ',
              h('span', { class: 'muted' }, x.source === 'pipeline' ? t('history.pipeline') : x.actor),
              x.toStatus && x.source === 'review' ? h('span', { class: 'tl-arrow' }, ' → ', statusPill(t, x.toStatus)) : null,
              x.reason ? h('div', { class: 'tl-detail' }, t(`reason.${x.reason}`)) : null,
              x.squad || x.gridCell ? h('div', { class: 'tl-detail' }, [x.squad, x.gridCell].filter(Boolean).join(' · ')) : null,
              x.note ? h('div', { class: 'tl-note' }, x.note) : null,
            ),
          ),
        ),
      ),
    );
  }

  function render() {
    if (!data) return;
    const e = data.event;
    const pos = ctx.queueIds.indexOf(e.id);
    clear(root).append(
      h(
        'div',
        { class: 'event-page' },
        h(
          'div',
          { class: 'event-head' },
          h('a', { href: `#/queue`, class: 'btn btn-ghost back' }, '← ', t('event.back')),
          typeBadge(ctx, e.type),
          h('h2', {}, ctx.cameraName(e.cameraId), h('span', { class: 'zone' }, ` · ${e.zoneId}`)),
          statusPill(t, e.status),
          h('div', { class: 'spacer' }),
          pos >= 0 ? h('span', { class: 'muted small nav-hint' }, `${pos + 1} / ${ctx.queueIds.length} · ${t('event.nav')}`) : h('span', { class: 'muted small nav-hint' }, t('event.nav')),
        ),
        h('div', { class: 'event-grid' }, h('div', { class: 'event-left' }, mediaPane(e), persistenceStrip(e)), h('div', { class: 'event-right' }, actionsPanel(data), details(e), history(data.history))),
      ),
    );
  }

  function setMode(m: 'clip' | 'snapshot', key: PictureKey = snapshotKey) {
    mode = m;
    snapshotKey = key;
    render();
  }

  function setBoxes(on: boolean) {
    showBoxes = on;
    localStorage.setItem('patrol.boxes', on ? '1' : '0');
    const c = root.querySelector<HTMLCanvasElement>('canvas.boxes');
    if (c) c.hidden = !on || c.dataset.overlay !== '1';
    const cb = root.querySelector<HTMLInputElement>('#boxes-toggle');
    if (cb) cb.checked = on;
  }

  async function act(name: ReviewActionName) {
    if (!data || busy || !data.allowedActions.includes(name)) return;
    let body: object | null = {};
    if (name === 'reject') body = await pickRejectReason(t, ctx.meta.rejectReasons);
    else if (name === 'dispatch') body = await dispatchForm(t, ctx.meta.squads);
    if (body === null) return;
    busy = true;
    try {
      await api(`/api/events/${encodeURIComponent(id)}/${name}`, { method: 'POST', body });
      toast(`${t(`action.done.${name}`)} · ${data.event.id}`, 'ok');
    } catch (err) {
      const { status, message } = errorInfo(err);
      toast(status === 403 ? t('error.forbidden') : status === 409 ? t('error.conflict') : `${t('error.generic')}: ${message}`, 'error');
    } finally {
      busy = false;
      await load();
    }
  }

  async function step(delta: number) {
    if (ctx.queueIds.length === 0) {
      try {
        ctx.queueIds = (await api<EventPage>(`/api/events${ctx.queueQuery || ''}`)).items.map((x) => x.id);
      } catch {
        return;
      }
    }
    const i = ctx.queueIds.indexOf(id);
    const next = ctx.queueIds[i < 0 ? 0 : i + delta];
    if (next) ctx.navigate(`#/events/${encodeURIComponent(next)}`);
  }

  const offChange = ctx.onChange(({ event }) => {
    if (event.id === id && !busy) void load();
  });
  void load();

  return {
    dispose() {
      offChange();
      resizeObs?.disconnect();
    },
    onKey(e) {
      const k = e.key.toLowerCase();
      if (k === 'c') void act('confirm');
      else if (k === 'r') void act('reject');
      else if (k === 'd') void act('dispatch');
      else if (k === 'x') void act('close');
      else if (k === 'j') void step(1);
      else if (k === 'k') void step(-1);
      else if (k === 'b') setBoxes(!showBoxes);
      else if (k === 'escape') ctx.navigate('#/queue');
      else return;
      e.preventDefault();
    },
  };
}
