import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { DispatchQueue } from '../../src/dispatch/queue.js';
import { createLogger } from '../../src/log/logger.js';
import { Observability } from '../../src/observe/observability.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';

const config = parseConfig('cameras:\n  - { id: cam1, url: "rtsp://127.0.0.1:1/x" }\ndetector:\n  manifest: m.json\n', '/tmp/observe-test.yaml', {});
const logger = createLogger({ level: 'silent', pretty: false });

describe('/metrics, /healthz, /readyz', () => {
  it('serves metrics and health, and readiness follows the detector, the queue and the cameras', async () => {
    let depthOk = true;
    const queue = { depth: () => (depthOk ? Promise.resolve(3) : new Promise<number>(() => {})) } as unknown as DispatchQueue;
    const o = new Observability({ role: 'run', config, logger, queue, env: { PATROL_METRICS_PORT: '0' } });
    const server = await o.listen(true);
    try {
      const url = server!.url;
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      let ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.detector).toEqual({ ok: false, detail: 'model still loading' });

      let statuses: SourceStatus[] = [{ cameraId: 'cam1', state: 'connecting', attempt: 0 }];
      o.setPipeline({ statuses: () => statuses, cameraIds: () => statuses.map((s) => s.cameraId) }, { name: 'yolox', version: '1' });
      ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.cameras).toEqual({ ok: false, detail: 'none of 1 cameras live' });

      statuses = [{ cameraId: 'cam1', state: 'live', attempt: 0 }];
      ready = await fetch(`${url}/readyz`);
      const body = await ready.json();
      expect(ready.status, JSON.stringify(body)).toBe(200);
      expect(body).toEqual({ status: 'ready', checks: { detector: { ok: true }, queue: { ok: true, detail: 'depth 3' }, cameras: { ok: true, detail: '1/1 live' } } });

      o.addCheck('fleet', () => ({ ok: false, detail: 'no Redis heartbeat within the lease TTL' }));
      expect((await fetch(`${url}/readyz`)).status).toBe(503);

      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      expect(text).toContain('patrol_info{role="run",worker="",model="yolox@1"} 1');
      expect(text).toContain('process_cpu_seconds_total');

      expect((await fetch(`${url}/nope`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);

      // A queue that hangs makes /readyz fail, not hang.
      depthOk = false;
      const t0 = Date.now();
      const stuck = await fetch(`${url}/readyz`);
      expect(stuck.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(2_500);
    } finally {
      await o.close();
    }
  });

  it('a port in use is an error for workers and a warning elsewhere; PATROL_METRICS_PORT=off disables it', async () => {
    const a = new Observability({ role: 'worker', config, logger, env: { PATROL_METRICS_PORT: '0' } });
    const s = await a.listen(true);
    try {
      const taken = { PATROL_METRICS_PORT: String(s!.port) };
      await expect(new Observability({ role: 'worker', config, logger, env: taken }).listen(true)).rejects.toThrow(/cannot serve \/metrics/);
      expect(await new Observability({ role: 'run', config, logger, env: taken }).listen(false)).toBeUndefined();
      expect(await new Observability({ role: 'run', config, logger, env: { PATROL_METRICS_PORT: 'off' } }).listen(true)).toBeUndefined();
    } finally {
      await a.close();
    }
  });
});

describe('capacity check', () => {
  it('warns once when the cameras ask for more than the detector measured, and says when it is back', () => {
    const lines: Array<[string, string]> = [];
    const log = { warn: (_: object, m: string) => lines.push(['warn', m]), info: (_: object, m: string) => lines.push(['info', m]), child: () => log } as unknown as ReturnType<typeof createLogger>;
    const o = new Observability({ role: 'worker', config, logger: log });
    let ids = ['cam1'];
    o.setPipeline({ statuses: () => [], cameraIds: () => ids });
    o.metrics.batch(1, 100); // 10 frames/s
    expect(o.checkCapacity()).toMatchObject({ over: false });
    ids = Array.from({ length: 60 }, (_, i) => `c${i}`); // unknown cameras count at 5 s: 12 frames/s
    expect(o.checkCapacity()).toMatchObject({ over: true });
    o.checkCapacity();
    ids = ['cam1'];
    o.checkCapacity();
    expect(lines.map(([level]) => level)).toEqual(['warn', 'info']);
    void o.close();
  });
});
