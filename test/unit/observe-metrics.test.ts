import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DispatchQueue } from '../../src/dispatch/queue.js';
import type { Frame } from '../../src/contracts/frame.js';
import { PatrolMetrics } from '../../src/observe/metrics.js';
import type { PatrolEvent } from '../../src/contracts/event.js';

const frame = (cameraId: string): Frame => ({
  cameraId,
  timestamp: Date.now(),
  ptsMs: 0,
  data: Buffer.alloc(0),
  pixelFormat: 'bgr24',
  width: 0,
  height: 0,
  contentWidth: 0,
  contentHeight: 0,
  sourceWidth: 0,
  sourceHeight: 0,
});

/** The value of one series in Prometheus text, or undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

afterEach(() => vi.useRealTimers());

describe('PatrolMetrics', () => {
  it('keeps one registry per instance, never the global one', async () => {
    const a = new PatrolMetrics('worker');
    const b = new PatrolMetrics('run');
    a.frameDecoded('cam1');
    expect(value(await a.text(), 'patrol_frames_decoded_total{camera="cam1",role="worker"}')).toBe(1);
    expect(value(await b.text(), 'patrol_frames_decoded_total{camera="cam1",role="run"}')).toBeUndefined();
    expect(await globalRegistry.getSingleMetric('patrol_frames_decoded_total')).toBeUndefined();
  });

  it('patrol_camera_transport says RTP over UDP in its rtp label, one rtp value per camera', async () => {
    const m = new PatrolMetrics('worker');
    const series = (text: string) => text.split('\n').filter((l) => l.startsWith('patrol_camera_transport{camera="cam1"')).sort();
    m.status({ cameraId: 'cam1', state: 'live', attempt: 0, transport: { kind: 'native', why: 'x', explicit: false, rtp: 'udp' } });
    expect(series(await m.text())).toEqual([
      'patrol_camera_transport{camera="cam1",transport="ffmpeg",rtp="udp",role="worker"} 0',
      'patrol_camera_transport{camera="cam1",transport="native",rtp="udp",role="worker"} 1',
    ]);
    // Added again with rtspTransport tcp (a config reload): the udp series go, not linger beside the new ones.
    m.status({ cameraId: 'cam1', state: 'connecting', attempt: 0, transport: { kind: 'native', why: 'x', explicit: false, rtp: 'tcp' } });
    expect(series(await m.text())).toEqual([
      'patrol_camera_transport{camera="cam1",transport="ffmpeg",rtp="tcp",role="worker"} 0',
      'patrol_camera_transport{camera="cam1",transport="native",rtp="tcp",role="worker"} 1',
    ]);
    m.forgetCamera('cam1');
    expect(series(await m.text())).toEqual([]);
  });

  it('reports camera state, frames, skipped frames, interval misses, batches, events and queue depth', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['Date'] });
    const m = new PatrolMetrics('worker');
    m.setCameraIntervals({ intervalMs: (id) => (id === 'cam1' ? 5_000 : undefined) });
    m.setQueue({ depth: async () => 7 } as unknown as DispatchQueue);
    m.status({ cameraId: 'cam1', state: 'connecting', attempt: 0 });
    let text = await m.text();
    expect(value(text, 'patrol_interval_misses_total{camera="cam1",role="worker"}')).toBe(0);
    m.status({ cameraId: 'cam1', state: 'live', attempt: 0, lastFrameAt: Date.now(), transport: { kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, rtp: 'tcp' } });
    for (let i = 0; i < 4; i++) m.frameDecoded('cam1');
    m.frameAnalyzed(frame('cam1'));
    vi.setSystemTime(Date.now() + 6_000); // on time (≤ 1.5 × 5 s)
    m.frameAnalyzed(frame('cam1'));
    vi.setSystemTime(Date.now() + 9_000); // late
    m.frameAnalyzed(frame('cam1'));
    m.batch(1, 40);
    m.batch(1, 60);
    m.eventChange({ kind: 'opened', event: { type: 'stall' } as PatrolEvent });
    text = await m.text();
    expect(value(text, 'patrol_camera_state{camera="cam1",state="live",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_camera_state{camera="cam1",state="connecting",role="worker"}')).toBe(0);
    expect(value(text, 'patrol_camera_transport{camera="cam1",transport="native",rtp="tcp",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_camera_transport{camera="cam1",transport="ffmpeg",rtp="tcp",role="worker"}')).toBe(0);
    expect(value(text, 'patrol_frames_decoded_total{camera="cam1",role="worker"}')).toBe(4);
    expect(value(text, 'patrol_frames_analyzed_total{camera="cam1",role="worker"}')).toBe(3);
    expect(value(text, 'patrol_frames_skipped_total{camera="cam1",role="worker"}')).toBe(0); // 4 − 3 − 1 in flight
    expect(value(text, 'patrol_interval_misses_total{camera="cam1",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_camera_last_analyzed_age_seconds{camera="cam1",role="worker"}')).toBe(0);
    expect(value(text, 'patrol_inference_seconds_count{role="worker"}')).toBe(2);
    expect(value(text, 'patrol_inference_seconds_sum{role="worker"}')).toBeCloseTo(0.1, 6);
    expect(value(text, 'patrol_inference_batch_size_sum{role="worker"}')).toBe(2);
    expect(value(text, 'patrol_events_total{type="stall",kind="opened",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_queue_depth{role="worker"}')).toBe(7);
    expect(value(text, 'patrol_worker_demand_fps{role="worker"}')).toBeCloseTo(0.2, 6);
    expect(value(text, 'patrol_worker_capacity_fps{role="worker"}')).toBeGreaterThan(15);

    // An outage is not a scheduler miss: the first analysis after it starts a new series.
    m.status({ cameraId: 'cam1', state: 'backoff', attempt: 1 });
    m.status({ cameraId: 'cam1', state: 'live', attempt: 1 });
    vi.setSystemTime(Date.now() + 60_000);
    m.frameAnalyzed(frame('cam1'));
    expect(value(await m.text(), 'patrol_interval_misses_total{camera="cam1",role="worker"}')).toBe(1);

    // More decoded than analyzed: the mailbox replaced frames (the worker is behind).
    for (let i = 0; i < 5; i++) m.frameDecoded('cam1');
    expect(value(await m.text(), 'patrol_frames_skipped_total{camera="cam1",role="worker"}')).toBe(4);
  });

  it('forgets a camera that left the process', async () => {
    const m = new PatrolMetrics('worker');
    m.status({ cameraId: 'cam9', state: 'live', attempt: 0 });
    m.frameDecoded('cam9');
    m.cameraHealth.set({ camera: 'cam9', check: 'dark' }, 1);
    expect(await m.text()).toContain('camera="cam9"');
    m.forgetCamera('cam9');
    expect(await m.text()).not.toContain('camera="cam9"');
  });
});
