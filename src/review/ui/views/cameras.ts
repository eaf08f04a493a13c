import { api, query } from '../api.js';
import { h, clear } from '../dom.js';
import { ago, clock } from '../format.js';
import { startLive } from '../live.js';
import { reasonKind } from '../reasons.js';
import type { Ctx, View } from '../context.js';
import type { Camera, CameraAlert, Stats } from '../types.js';

const STATE_CLASS: Record<Camera['state'], string> = { live: 'ok', connecting: 'warn', backoff: 'warn', failed: 'bad', stopped: 'off', unknown: 'off' };

/** Cameras with their connection state, event counts and an on-demand live view. */
export function renderCameras(root: HTMLElement, ctx: Ctx): View {
  const t = ctx.t;
  const stops = new Map<string, () => void>();
  const grid = h('div', { class: 'camera-grid' });

  function reasonBox(reason: string) {
    const kind = reasonKind(reason);
    return h('div', { class: 'camera-reason', 'data-kind': kind ?? 'other' }, kind ? h('b', { class: 'reason-head' }, t(`camera.reason.${kind}`)) : null, h('code', { class: 'reason-raw' }, reason));
  }

  const at = (ms: number) => `${clock(ms)} (${ago(ms, t)})`;

  /** Open health alerts (frozen, dark, blurred, view shifted), each with the time it began. */
  function alertList(alerts: readonly CameraAlert[]) {
    if (alerts.length === 0) return null;
    return h(
      'ul',
      { class: 'camera-alerts' },
      alerts.map((a) => h('li', { class: 'camera-alert', 'data-check': a.check }, h('b', {}, '⚠ ', t(`alert.${a.check}`)), h('span', { class: 'muted' }, ` ${t('camera.alertSince')} ${at(a.since)}`))),
    );
  }

  function card(c: Camera, stats: Stats | null) {
    const canvas = h('canvas', { class: 'live-canvas', width: 640, height: 360 });
    const status = h('div', { class: 'live-status' });
    const liveBox = h('div', { class: 'live-box', hidden: true }, canvas, status);
    const button = h('button', { class: 'btn btn-primary', 'data-live': c.id, disabled: !c.liveView, title: c.liveView ? '' : t('camera.liveUnavailable') }, '◉ ', t('camera.live'));
    button.addEventListener('click', async () => {
      const running = stops.get(c.id);
      if (running) {
        running();
        stops.delete(c.id);
        liveBox.hidden = true;
        button.textContent = `◉ ${t('camera.live')}`;
        return;
      }
      liveBox.hidden = false;
      button.textContent = `■ ${t('camera.liveStop')}`;
      const stop = await startLive(c.id, canvas, (kind, bytes = 0) => {
        status.className = `live-status ${kind}`;
        // Without a player the canvas would stay black; the status box says what arrives instead.
        canvas.hidden = kind === 'no-player' || kind === 'failed' || kind === 'closed';
        status.textContent =
          kind === 'connecting' ? t('camera.liveConnecting')
          : kind === 'no-player' ? `${t('camera.livePlayerMissing')} — ${t('camera.liveBytes', { kb: Math.round(bytes / 1024) })}`
          : kind === 'failed' || kind === 'closed' ? t('camera.liveFailed')
          : '';
      });
      stops.set(c.id, stop);
    });
    const state = STATE_CLASS[c.state];
    return h(
      'article',
      { class: `camera-card state-${state}`, 'data-camera': c.id },
      h(
        'header',
        {},
        h('div', { class: 'camera-title' }, h('h3', {}, c.name), h('code', { class: 'muted' }, c.id)),
        h('span', { class: `state-pill ${state}` }, h('i', { class: 'dot' }), t(`camera.state.${c.state}`)),
      ),
      h(
        'dl',
        { class: 'details compact' },
        h('dt', {}, 'URL'),
        h('dd', { class: 'mono' }, c.source),
        c.since ? [h('dt', {}, t('camera.since')), h('dd', { class: 'camera-since' }, at(c.since))] : null,
        c.worker ? [h('dt', {}, t('camera.worker')), h('dd', { class: 'mono camera-worker' }, c.worker)] : null,
        c.fps !== undefined ? [h('dt', {}, t('camera.fps')), h('dd', { class: 'camera-fps' }, c.fps.toFixed(2))] : null,
        h('dt', {}, t('camera.transport')),
        h('dd', { class: 'camera-transport', 'data-transport': c.transport.kind, 'data-rtp': c.transport.rtp ?? 'none', title: c.transport.why }, transportLine(c.transport)),
        c.tour ? [h('dt', {}, t('camera.tour')), h('dd', { class: 'camera-tour' }, tourLine(c.tour))] : null,
        h('dt', {}, t('camera.lastFrame')),
        h('dd', {}, c.lastFrameAt ? at(c.lastFrameAt) : '—'),
        c.retryAt ? [h('dt', {}, t('camera.retryAt')), h('dd', {}, clock(c.retryAt))] : null,
        h('dt', {}, t('camera.events')),
        h(
          'dd',
          {},
          h('a', { href: `#/queue${query({ camera: c.id })}` }, String(stats?.total ?? 0)),
          stats?.byStatus.new ? h('span', { class: 'pill st-new small' }, `${t('status.new')} ${stats.byStatus.new}`) : null,
        ),
      ),
      c.reason ? reasonBox(c.reason) : null,
      alertList(c.alerts),
      h('div', { class: 'violations' }, c.violations.map((v) => h('span', { class: `badge type-${v}` }, h('i', { class: 'dot' }), t(`violation.${v}`)))),
      h('div', { class: 'card-actions' }, button),
      liveBox,
    );
  }

  /** Which transport and whether by default; RTP over UDP named, as in the log and check-config (a firewall may drop it). */
  function transportLine(tr: Camera['transport']): string {
    const udp = tr.rtp === 'udp' ? `, ${t('camera.rtpUdp')}` : '';
    return `${t(`camera.transport.${tr.kind}`)}${udp} · ${t(tr.explicit ? 'camera.transportSet' : 'camera.transportDefault')}`;
  }

  /** Tour mode: held open, or every N s with its visits, misses and when it is next due. */
  function tourLine(tour: NonNullable<Camera['tour']>): string {
    const every = t('camera.tourEvery').replace('{s}', String(Math.round(tour.revisitSec)));
    const counts = `${t('camera.tourVisits')} ${tour.visits} · ${t('camera.tourMisses')} ${tour.misses}`;
    if (tour.held) return `${t('camera.tourHeld')} · ${counts}`;
    return `${every} · ${counts}${tour.nextDueAt ? ` · ${t('camera.tourNext')} ${clock(tour.nextDueAt)}` : ''}`;
  }

  async function load() {
    const { cameras } = await api<{ cameras: Camera[] }>('/api/cameras');
    ctx.cameras = cameras;
    const stats = await Promise.all(cameras.map((c) => api<Stats>(`/api/stats${query({ camera: c.id })}`).catch(() => null)));
    clear(grid).append(...cameras.map((c, i) => card(c, stats[i] ?? null)));
  }

  clear(root).append(h('div', { class: 'cameras-page' }, h('div', { class: 'page-head' }, h('h2', {}, t('camera.title'))), grid));
  void load();
  const timer = setInterval(() => {
    if (stops.size === 0) void load();
  }, 10_000);

  return {
    dispose() {
      clearInterval(timer);
      for (const stop of stops.values()) stop();
    },
  };
}
