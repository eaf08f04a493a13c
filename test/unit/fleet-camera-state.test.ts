import { describe, expect, it } from 'vitest';
import { CameraRuntimeSchema } from '../../src/contracts/camera-status.js';
import { CameraStateTracker, syncAlerts } from '../../src/fleet/camera-state.js';
import { cameraView } from '../../src/review/api/camera-view.js';
import { CameraView } from '../../src/review/api/schemas.js';
import type { CameraConfig } from '../../src/config/schema.js';

describe('camera state tracker', () => {
  it('keeps since per state, fps over the last minute, and alert start times while raised', () => {
    let t = 1_000_000;
    const tr = new CameraStateTracker('w7', () => t);
    expect(tr.get('a')).toBeUndefined();
    tr.status({ cameraId: 'a', state: 'connecting', attempt: 1 });
    t += 2_000;
    tr.status({ cameraId: 'a', state: 'live', attempt: 0, lastFrameAt: t });
    const liveSince = t;
    for (let i = 0; i < 30; i++) {
      t += 2_000;
      tr.analyzed('a');
      tr.status({ cameraId: 'a', state: 'live', attempt: 0, lastFrameAt: t });
    }
    let dark = false;
    syncAlerts(tr, 'a', (c) => c === 'dark' && dark);
    dark = true;
    t += 500;
    syncAlerts(tr, 'a', (c) => c === 'dark' && dark);
    const raisedAt = t;
    t += 4_000;
    syncAlerts(tr, 'a', (c) => c === 'dark' && dark);
    const s = tr.get('a')!;
    expect(s).toMatchObject({ cameraId: 'a', state: 'live', worker: 'w7', since: liveSince, lastFrameAt: t - 4_500 });
    expect(s.fps).toBeCloseTo(0.5, 1);
    expect(s.alerts).toEqual([{ check: 'dark', since: raisedAt }]);
    expect(CameraRuntimeSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    dark = false;
    syncAlerts(tr, 'a', () => false);
    expect(tr.get('a')!.alerts).toEqual([]);
    tr.forget('a');
    expect(tr.all()).toEqual([]);
  });

  it('the camera view carries worker, since, fps and alerts, and nothing of the URL', () => {
    const cam = { id: 'c', name: 'C', url: 'rtsp://u:pw@10.0.0.1/x?token=t', enabled: true, violations: ['stall'] } as unknown as CameraConfig;
    const v = cameraView(cam, { cameraId: 'c', state: 'live', attempt: 0, worker: 'w1', since: 5, fps: 0.2, alerts: [{ check: 'frozen', since: 9 }], updatedAt: 10 }, false);
    expect(v).toMatchObject({ state: 'live', worker: 'w1', since: 5, fps: 0.2, alerts: [{ check: 'frozen', since: 9 }], updatedAt: 10, source: 'rtsp://10.0.0.1/x' });
    expect(cameraView(cam, undefined, false)).toMatchObject({ state: 'unknown', alerts: [] });
  });

  it('the camera view says which transport the worker runs, or before it reports, what the config resolves to', () => {
    const cam = { id: 'c', name: 'C', url: 'rtsp://10.0.0.1/x', enabled: true, violations: ['stall'], decode: 'keyframe' } as unknown as CameraConfig;
    expect(cameraView(cam, undefined, false).transport).toEqual({ kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, rtp: 'tcp' });
    expect(cameraView({ ...cam, rtspTransport: 'udp' }, undefined, false).transport).toMatchObject({ kind: 'native', rtp: 'udp' });
    expect(cameraView({ ...cam, url: 'file:///x.mp4' }, undefined, false).transport).toMatchObject({ kind: 'ffmpeg', explicit: false });
    const reported = { kind: 'ffmpeg' as const, why: 'transport: ffmpeg in the config', explicit: true, rtp: 'udp' as const };
    expect(cameraView(cam, { cameraId: 'c', state: 'live', attempt: 0, transport: reported }, false).transport).toEqual(reported);
    // Through the Redis schema and the API's, RTP over UDP survives.
    const published = CameraRuntimeSchema.parse(JSON.parse(JSON.stringify({ cameraId: 'c', state: 'live', attempt: 0, transport: reported })));
    expect(CameraView.parse(cameraView(cam, published, false)).transport).toEqual(reported);
  });
});
