import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * bench:events end to end on one real, short pipeline run: the stall_setup fixture in file mode (the
 * production pipeline in `once` mode over the .mp4) with the COCO stand-in. Checks that the report is
 * written and that its numbers agree with each other and with the pipeline — never the model's accuracy.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL_ONNX = path.resolve(repo, '../shared/models/yolox_nano.onnx');
const STAND_IN = path.join(repo, 'models/yolox_nano-coco.json');
const SCENE = 'stall_setup';
const haveModel = existsSync(MODEL_ONNX);
if (!haveModel) console.warn(`[bench-events-quick] SKIPPED: ${MODEL_ONNX} is absent (../shared is not beside this checkout).`);

const TSX = path.join(repo, 'node_modules/.bin/tsx');
const work = mkdtempSync(path.join(tmpdir(), 'patrol-bench-events-test-'));

/** The committed fixture when rendered, else one rendered into the temp dir (never touching fixtures/generated). */
function fixtureVideo(): string {
  const committed = path.join(repo, 'fixtures/generated', `${SCENE}.mp4`);
  const ready = (base: string) => ['.mp4', '.ts', '.truth.json'].every((ext) => existsSync(`${base}${ext}`));
  if (ready(committed.replace(/\.mp4$/, ''))) return committed;
  const out = path.join(work, 'fixtures');
  const r = spawnSync(TSX, ['fixtures/generate.ts', '--only', SCENE, '--out', out], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`fixture generation failed: ${r.stderr}${r.stdout}`);
  return path.join(out, `${SCENE}.mp4`);
}

interface Json {
  mode: string;
  model: { name: string };
  scenes: Array<{ name: string; durationSec: number; intervals: unknown[] }>;
  score: {
    types: Array<{ type: string; incidents: number; detected: number; events: number; matchedEvents: number; falseEvents: number; duplicates: number; precision: number | null; recall: number | null; ttdSec: { n: number; p95: number | null } }>;
    incidents: Array<{ startSec: number; eventIds: string[]; ttdSec: number | null; duplicates: number }>;
    events: Array<{ role: string; event: { id: string; confirmedSec: number; startSec: number } }>;
  };
  checks: Array<{ what: string; ok: boolean | undefined }>;
  cameras: Array<{ cameraId: string; frames: number; opened: number }>;
  dispatched: { opened: number };
  loop: { framesAnalyzed: number; errors: number };
  rules: Record<string, { dwellSec: number }>;
  events: Array<{ id: string; confirmedAt: number; startedAt: number }>;
}

describe.skipIf(!haveModel)('bench:events, one fixture in file mode', () => {
  let code: number | null;
  let stderr: string;
  let json: Json;
  const out = path.join(work, 'results');

  beforeAll(() => {
    const video = fixtureVideo();
    // The fixture config's camera and rules, with the stall dwell shortened so the stand-in (which sees the
    // stall's umbrella now and then) has a chance to raise an event: the test is about the bench, not the model.
    const base = parseYaml(readFileSync(path.join(repo, 'config/fixtures-quick.yaml'), 'utf8')) as { cameras: Array<Record<string, unknown>>; rules: Record<string, Record<string, number>> };
    const camera = base.cameras.find((c) => c.id === SCENE)!;
    const config = {
      ...base,
      cameras: [{ ...camera, url: pathToFileURL(video).href }],
      detector: { manifest: STAND_IN },
      rules: { ...base.rules, stall: { ...base.rules.stall, dwellSec: 8, hits: 3, window: 6 } },
    };
    const configFile = path.join(work, 'config.yaml');
    writeFileSync(configFile, stringify(config));
    const r = spawnSync(TSX, ['bench/events.ts', '--mode', 'file', '--config', configFile, '--model', STAND_IN, '--out', out, '--name', 't'], { cwd: repo, encoding: 'utf8', timeout: 90_000 });
    code = r.status;
    stderr = r.stderr;
    json = JSON.parse(readFileSync(path.join(out, 't.json'), 'utf8')) as Json;
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('exits 0 or 1 (targets), names every missed target, and writes the report, plot and JSON', () => {
    expect([0, 1], stderr).toContain(code);
    const missed = json.checks.filter((c) => c.ok === false);
    expect(code).toBe(missed.length ? 1 : 0);
    for (const c of missed) expect(stderr).toContain(`MISSED ${c.what}:`);
    const md = readFileSync(path.join(out, 't.md'), 'utf8');
    for (const h of ['## Per violation type', '## Targets', '## What limits each gap', '## Incidents', '## Detections per scene']) expect(md).toContain(h);
    expect(md).toContain('](t-timeline.svg)');
    expect(readFileSync(path.join(out, 't-timeline.svg'), 'utf8')).toMatch(/^<svg[\s\S]*stall_setup[\s\S]*<\/svg>\n$/);
  });

  it('ran the production pipeline over the whole file with the stand-in', () => {
    expect(json.mode).toBe('file');
    expect(json.model.name).toBe('yolox_nano-coco');
    expect(json.loop.errors).toBe(0);
    const cam = json.cameras.find((c) => c.cameraId === SCENE)!;
    const duration = json.scenes[0]!.durationSec;
    // One keyframe every 2 s (GOP 50 at 25 fps, intervalSec 2).
    expect(cam.frames).toBeGreaterThanOrEqual(Math.floor(duration / 2) - 1);
    expect(cam.frames).toBeLessThanOrEqual(Math.ceil(duration / 2) + 1);
    expect(json.loop.framesAnalyzed).toBe(cam.frames);
  });

  it('has numbers that agree with each other and with the pipeline', () => {
    const s = json.score;
    const total = s.types.reduce((a, t) => a + t.events, 0);
    expect(total).toBe(s.events.length);
    expect(total).toBe(json.events.length);
    expect(total).toBe(json.dispatched.opened);
    expect(total).toBe(json.cameras[0]!.opened);
    const stall = s.types.find((t) => t.type === 'stall')!;
    expect(stall.incidents).toBe(json.scenes[0]!.intervals.length);
    for (const t of s.types) {
      expect(t.matchedEvents + t.falseEvents).toBe(t.events);
      expect(t.detected).toBeLessThanOrEqual(t.incidents);
      expect(t.precision).toBe(t.events ? t.matchedEvents / t.events : null);
      expect(t.recall).toBe(t.incidents ? t.detected / t.incidents : null);
      expect(t.ttdSec.n).toBe(t.detected);
    }
    // File mode: video time is the frame's file time (startTimeMs 0), so TTD follows from the raw event.
    for (const inc of s.incidents) {
      expect(inc.duplicates).toBe(Math.max(0, inc.eventIds.length - 1));
      if (inc.eventIds.length === 0) continue;
      const raw = json.events.find((e) => e.id === inc.eventIds[0])!;
      expect(inc.ttdSec).toBeCloseTo(raw.confirmedAt / 1000 - (inc.startSec + json.rules.stall!.dwellSec), 6);
    }
  });
});
