import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClip, type TestClip } from '../support/clip.js';
import { FaultRtspServer } from '../faults/support/fault-rtsp.js';
import { PipelineHarness, harnessConfig, sleep, until } from '../faults/support/pipeline-harness.js';

/**
 * The fast representative of the camera-fault suite (test/faults/camera-faults.spec.ts runs all five faults):
 * one live pipeline with production ingest settings, a camera whose RTSP server crashes for 4 s and comes
 * back, and two healthy cameras (RTSP and file) that must keep being analyzed every 2 s throughout.
 */

describe('a camera fault in a live pipeline (fast)', () => {
  let dir: string;
  let clip: TestClip;
  let good: FaultRtspServer;
  let flaky: FaultRtspServer;
  let h: PipelineHarness | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-faults-fast-'));
    clip = await testClip();
    good = await FaultRtspServer.start({ mounts: { cam: clip.ts } });
    flaky = await FaultRtspServer.start({ mounts: { cam: clip.ts } });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await Promise.all([good?.stop(), flaky?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('RTSP server killed and restarted: its camera backs off with a reason and recovers; the others never stop', async () => {
    h = await PipelineHarness.start(
      harnessConfig(
        [
          { id: 'healthy-rtsp', url: good.url('cam') },
          { id: 'healthy-file', url: `file://${clip.mp4}`, loop: true },
          { id: 'victim', url: flaky.url('cam') },
        ],
        join(dir, 'var'),
      ),
    );
    const ids = ['healthy-rtsp', 'healthy-file', 'victim'];
    await until('all three analyzed', () => ids.every((id) => h!.analyzed(id) > 0), 60_000);
    // No transport in the config: the RTSP cameras run on the in-process client, the file on ffmpeg, and the
    // status and the start-up log say so.
    for (const [id, kind] of [['healthy-rtsp', 'native'], ['victim', 'native'], ['healthy-file', 'ffmpeg']] as const) {
      expect(h.status(id)!.transport, id).toMatchObject({ kind, explicit: false });
      expect(h.logLines.some((l) => l.includes(`camera ${id}: transport ${kind} (default for `)), id).toBe(true);
    }
    const from = Date.now();

    const crashAt = Date.now();
    await flaky.kill();
    await until('victim leaves live', () => h!.state('victim') !== 'live', 30_000);
    await sleep(4_000);
    const down = h.history('victim', crashAt);
    expect(down.some((s) => s.state === 'backoff')).toBe(true);
    expect(down.flatMap((s) => (s.reason ? [s.reason] : [])).join('\n')).toMatch(/connection refused|stream ended|end of file|timed out/i);
    expect(h.status('victim')!.attempt).toBeGreaterThanOrEqual(1);

    const restartAt = Date.now();
    await flaky.restart();
    const back = await until('victim analyzed again', () => h!.analyzed('victim', restartAt) > 0, 45_000);
    await sleep(2_500); // one more frame interval for the healthy cameras after the recovery
    const to = Date.now();

    for (const id of ['healthy-rtsp', 'healthy-file']) {
      expect(h.history(id).map((s) => s.state), id).toEqual(['connecting', 'live']);
      expect(h.maxGapMs(id, from, to), `${id}: longest time without an analyzed frame`).toBeLessThan(10_000);
      expect(h.analyzed(id, from), id).toBeGreaterThanOrEqual(Math.floor((to - from) / 2_000 / 2));
    }
    console.log(
      `[faults-camera-pipeline] server down ${((restartAt - crashAt) / 1000).toFixed(1)} s; victim analyzed again ${((back - restartAt) / 1000).toFixed(1)} s after the restart; ` +
        `healthy max gaps ${h.maxGapMs('healthy-rtsp', from, to)} / ${h.maxGapMs('healthy-file', from, to)} ms`,
    );
  }, 180_000);
});
