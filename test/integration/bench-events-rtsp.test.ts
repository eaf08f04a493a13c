import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * bench:events' time alignment in rtsp mode, checked against file mode: a 24 s cut of the stall_setup scene
 * is run once through the real RTSP server (live pipeline, wall clock mapped back to video time) and once
 * through the file (file timestamps). The feeder sends the same H.264 keyframes the file holds, so a frame
 * mapped to video time t must carry the very detections file mode found at t.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL_ONNX = path.resolve(repo, '../shared/models/yolox_nano.onnx');
const STAND_IN = path.join(repo, 'models/yolox_nano-coco.json');
const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';
const TSX = path.join(repo, 'node_modules/.bin/tsx');
const SCENE = 'stall_setup';
const DURATION = 24;

const haveModel = existsSync(MODEL_ONNX);
const haveGst = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"]).status === 0;
if (!haveModel) console.warn(`[bench-events-rtsp] SKIPPED: ${MODEL_ONNX} is absent (../shared is not beside this checkout).`);
else if (!haveGst) console.warn(`[bench-events-rtsp] SKIPPED: ${PYTHON} has no GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0).`);

interface Json {
  alignment: Array<{ cameraId: string; segments: number; snapped: boolean; latencyP50Ms: number | null; firstVideoSec: number | null; lastVideoSec: number | null }>;
  frames: Array<{ cameraId: string; videoSec: number; detections: Array<{ label: string; score: number; box: number[] }> }>;
  cameras: Array<{ frames: number }>;
  loop: { errors: number };
}

describe.skipIf(!haveModel || !haveGst)('bench:events rtsp mode: live time mapped back to video time', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'patrol-bench-events-rtsp-'));
  const runs: Record<'file' | 'rtsp', { code: number | null; stderr: string; json: Json }> = {} as never;

  beforeAll(() => {
    const fixtures = path.join(work, 'fixtures');
    const g = spawnSync(TSX, ['fixtures/generate.ts', '--only', SCENE, '--duration', String(DURATION), '--out', fixtures], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    if (g.status !== 0) throw new Error(`fixture generation failed: ${g.stderr}${g.stdout}`);
    const base = parseYaml(readFileSync(path.join(repo, 'config/fixtures-quick.yaml'), 'utf8')) as { cameras: Array<Record<string, unknown>>; rules: Record<string, Record<string, number>> };
    const camera = base.cameras.find((c) => c.id === SCENE)!;
    const configFile = path.join(work, 'config.yaml');
    writeFileSync(configFile, stringify({ ...base, cameras: [{ ...camera, url: pathToFileURL(path.join(fixtures, `${SCENE}.mp4`)).href }], detector: { manifest: STAND_IN } }));
    for (const mode of ['file', 'rtsp'] as const) {
      const r = spawnSync(TSX, ['bench/events.ts', '--mode', mode, '--config', configFile, '--model', STAND_IN, '--margin', '3', '--out', path.join(work, 'out'), '--name', mode], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 100_000,
      });
      runs[mode] = { code: r.status, stderr: r.stderr, json: JSON.parse(readFileSync(path.join(work, 'out', `${mode}.json`), 'utf8')) as Json };
    }
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs both modes to a report', () => {
    for (const mode of ['file', 'rtsp'] as const) {
      expect([0, 1], runs[mode].stderr).toContain(runs[mode].code);
      expect(runs[mode].json.loop.errors).toBe(0);
    }
  });

  it('puts the live frames on the keyframe grid of one connection, with a plausible latency', () => {
    const a = runs.rtsp.json.alignment[0]!;
    expect(a).toMatchObject({ cameraId: SCENE, segments: 1, snapped: true });
    expect(a.latencyP50Ms).toBeGreaterThanOrEqual(-250);
    expect(a.latencyP50Ms).toBeLessThan(1750);
    // The live run loses at most the first few seconds (connect, first keyframe) and ends with the loop.
    expect(a.firstVideoSec).toBeLessThanOrEqual(8);
    expect(a.lastVideoSec).toBeGreaterThanOrEqual(DURATION - 4);
    expect(a.lastVideoSec).toBeLessThan(DURATION);
  });

  it('finds at each mapped video time exactly the detections file mode found there', () => {
    const key = (f: { cameraId: string; videoSec: number }) => `${f.cameraId}@${f.videoSec}`;
    const file = new Map(runs.file.json.frames.map((f) => [key(f), f]));
    const live = runs.rtsp.json.frames;
    expect(file.size).toBeGreaterThan(0);
    // Frames the live pipeline analyzed (the mailbox may replace some under load; the first seconds are lost).
    expect(live.length).toBeGreaterThanOrEqual(Math.floor(file.size / 2));
    for (const f of live) {
      const twin = file.get(key(f));
      expect(twin, `file mode has no detection at ${key(f)}`).toBeDefined();
      expect(f.detections.map((d) => d.label)).toEqual(twin!.detections.map((d) => d.label));
      f.detections.forEach((d, i) => expect(d.score).toBeCloseTo(twin!.detections[i]!.score, 2));
    }
  });
});
