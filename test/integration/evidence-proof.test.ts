import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CameraSchema, type RuleConfig } from '../../src/config/schema.js';
import type { Detection, Detections } from '../../src/contracts/detections.js';
import { EvidenceRecorder } from '../../src/evidence/persistence-proof.js';
import { sha256Hex } from '../../src/evidence/store-files.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { EventChange, PatrolEvent } from '../../src/contracts/event.js';
import { resolveRules } from '../../src/score/rules.js';
import { createCameraScoreState, openEvents, restore, step, type CameraScoreState } from '../../src/score/scorer.js';

const T0 = Date.UTC(2026, 2, 3, 8, 0, 0);
const S = 1000;
const rule: RuleConfig = { classScores: {}, dwellSec: 20, hits: 3, window: 5, endAfterSec: 20, cooldownSec: 30 };
const rules = resolveRules({ stall: rule, dumping: rule, burning: { ...rule, dwellSec: 4, hits: 2, window: 3 } });
const camera = CameraSchema.parse({ id: 'cam-9', url: 'file://x.mp4', intervalSec: 5 });
const ctx = { camera, rules };

/** 160×160 letterboxed frame; the 160×120 picture's grey level is the frame's second, so a snapshot says which frame it shows. */
function frameAt(sec: number): Frame {
  const width = 160;
  const height = 160;
  const data = Buffer.alloc(width * height * 3, 114);
  data.fill(sec, 0, width * 120 * 3);
  return { cameraId: 'cam-9', timestamp: T0 + sec * S, ptsMs: sec * S, data, pixelFormat: 'rgb24', width, height, contentWidth: 160, contentHeight: 120, sourceWidth: 704, sourceHeight: 528 };
}

const stall = (score: number): Detection => ({ classId: 0, label: 'stall', score, box: [0.1, 0.5, 0.4, 0.9], violation: 'stall' });
const fire = (score: number): Detection => ({ classId: 2, label: 'fire', score, box: [0.1, 0.5, 0.4, 0.9], violation: 'burning' });

const PROOF_FILES = ['snapshot', 'frame', 'firstSeen', 'confirmed', 'latest'] as const;
type ProofFile = (typeof PROOF_FILES)[number];

/** Grey level of the snapshot's top-right corner, away from boxes and header. */
async function levelOf(storageDir: string, rel: string): Promise<number> {
  const { data } = await sharp(join(storageDir, rel)).extract({ left: 150, top: 2, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
  return data[0]!;
}

/** RGB at (x, y) of an evidence picture. */
async function pixelOf(storageDir: string, rel: string, x: number, y: number): Promise<number[]> {
  const { data } = await sharp(join(storageDir, rel)).extract({ left: x, top: y, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
  return [data[0]!, data[1]!, data[2]!];
}

interface Pipeline {
  state: CameraScoreState;
  recorder: EvidenceRecorder;
  /** Each change as it went out, with the grey level (= frame second) of each evidence picture it named. */
  log: { sec: number; kind: EventChange['kind']; event: PatrolEvent; level: Partial<Record<ProofFile, number>> }[];
  maxHeld: number;
  heldAt: Map<number, number>;
}

async function feed(p: Pipeline, secs: number[], dets: (sec: number) => Detection[]): Promise<void> {
  for (const sec of secs) {
    const frame = frameAt(sec);
    const detections: Detections = { cameraId: 'cam-9', timestamp: frame.timestamp, model: 'test-model', items: dets(sec) };
    const res = step(p.state, { detections, analyzedAt: frame.timestamp }, ctx);
    p.state = res.state;
    p.recorder.observe(res.tracks, frame);
    for (const event of await p.recorder.onChanges(res.changes, frame, res.tracks)) {
      // Every file an event names exists and matches its hash when the event goes out.
      expectHashesMatch(event);
      const level: Partial<Record<ProofFile, number>> = {};
      for (const f of PROOF_FILES) if (event.evidence[f]) level[f] = await levelOf(dir, event.evidence[f]);
      p.log.push({ sec, kind: res.changes.find((c) => c.event.id === event.id)!.kind, event, level });
    }
    p.maxHeld = Math.max(p.maxHeld, p.recorder.heldFrames);
    p.heldAt.set(sec, p.recorder.heldFrames);
  }
}

const every = (from: number, to: number) => Array.from({ length: (to - from) / 5 + 1 }, (_, i) => from + i * 5);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patrol-proof-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const newPipeline = (state = createCameraScoreState()): Pipeline => ({
  state,
  recorder: new EvidenceRecorder({ storageDir: dir, snapshot: { timeZone: 'UTC' } }),
  log: [],
  maxHeld: 0,
  heldAt: new Map(),
});

function expectHashesMatch(ev: PatrolEvent): void {
  for (const [rel, sum] of Object.entries(ev.evidence.sha256)) {
    expect(existsSync(join(dir, rel))).toBe(true);
    expect(sha256Hex(readFileSync(join(dir, rel)))).toBe(sum);
  }
  for (const f of PROOF_FILES) {
    const rel = ev.evidence[f];
    if (rel !== undefined) expect(ev.evidence.sha256[rel]).toMatch(/^[0-9a-f]{64}$/);
  }
}

describe('persistence proof, end to end with the scorer', () => {
  it('stall: first sight, confirmation, latest and best snapshot; bounded frame copies; pruned versions', async () => {
    const p = newPipeline();
    // A vendor passes (0..10), leaves; a stall sets up at 50 and stays to 190; score jumps at 90, creeps up at 110.
    const score = (s: number) => (s < 90 ? 0.8 : s < 110 ? 0.9 : 0.93);
    await feed(p, every(0, 260), (s) => (s <= 10 || (s >= 50 && s <= 190) ? [stall(score(s))] : []));

    expect(p.heldAt.get(10)).toBe(1); // the passing vendor's first sight is held...
    expect(p.heldAt.get(40)).toBe(0); // ...and dropped once the candidate lapses
    expect(p.maxHeld).toBe(1);
    expect(p.recorder.heldFrames).toBe(0);

    const kinds = p.log.map((l) => `${l.kind}@${l.sec}`);
    expect(kinds).toEqual(['opened@70', 'updated@90', 'updated@120', 'updated@150', 'updated@180', 'ended@215']);

    const opened = p.log[0]!.event;
    expect(opened.evidence.firstSeen).toMatch(/^evidence\/cam-9\/2026-03-03\/cam-9\.full-frame\.stall\.[0-9a-z]+\/first-seen-[0-9a-z]+\.jpg$/);
    expect(p.log[0]!.level.firstSeen).toBeCloseTo(50, -0.5);
    expect(p.log[0]!.level.confirmed).toBeCloseTo(70, -0.5);
    expect(opened.evidence.latest).toBe(opened.evidence.confirmed);
    expect(opened.evidence.snapshot).toBeDefined();

    // Peak jumped at 90: the snapshot is that frame.
    const at90 = p.log[1]!.event;
    expect(at90.peakAt).toBe(T0 + 90 * S);
    expect(p.log[1]!.level.snapshot).toBeCloseTo(90, -0.5);
    // The same picture without boxes, for the review UI's toggle: grey where the snapshot has the box's edge.
    expect(p.log[1]!.level.frame).toBeCloseTo(90, -0.5);
    const edge = (rel: string) => pixelOf(dir, rel, 16, 84);
    const [r, g, b] = await edge(at90.evidence.snapshot!);
    expect(Math.max(Math.abs(r! - g!), Math.abs(g! - b!), Math.abs(r! - b!))).toBeGreaterThan(40);
    const [fr, fg, fb] = await edge(at90.evidence.frame!);
    expect(Math.max(Math.abs(fr! - fg!), Math.abs(fg! - fb!), Math.abs(fr! - fb!))).toBeLessThan(12);
    // Peak crept up at 110 without an update; the held copy is written with the next one.
    const at120 = p.log[2]!.event;
    expect(at120.peakAt).toBe(T0 + 110 * S);
    expect(p.log[2]!.level.snapshot).toBeCloseTo(110, -0.5);
    expect(p.log[2]!.level.latest).toBeCloseTo(120, -0.5);

    const ended = p.log.at(-1)!.event;
    expect(ended.endedAt).toBe(T0 + 190 * S);
    expect(p.log.at(-1)!.level.latest).toBeCloseTo(180, -0.5);
    expect(ended.evidence.firstSeen).toBe(opened.evidence.firstSeen);
    expect(ended.evidence.confirmed).toBe(opened.evidence.confirmed);
    expectHashesMatch(ended);

    // latest-120 was superseded twice (150, 180) and removed; the proof files stay.
    const files = readdirSync(join(dir, ended.evidence.confirmed!, '..')).sort();
    expect(files.filter((f) => f.startsWith('latest-'))).toHaveLength(2);
    expect(files.filter((f) => f.startsWith('snapshot-'))).toHaveLength(2);
    expect(files.filter((f) => f.startsWith('frame-'))).toHaveLength(2);
    expect(files.filter((f) => f.startsWith('first-seen-') || f.startsWith('confirmed-'))).toHaveLength(2);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(Object.keys(ended.evidence.sha256).every((rel) => existsSync(join(dir, rel)))).toBe(true);
  });

  it('burning: a snapshot, no persistence proof, no frame copies for candidates', async () => {
    const p = newPipeline();
    await feed(p, every(0, 30), (s) => (s >= 10 ? [fire(0.9)] : []));
    expect(p.log.map((l) => `${l.kind}@${l.sec}`)).toEqual(['opened@15']);
    const ev = p.log[0]!.event;
    expect(ev.type).toBe('burning');
    expect(ev.evidence.firstSeen).toBeUndefined();
    expect(ev.evidence.confirmed).toBeUndefined();
    expect(ev.evidence.latest).toBeUndefined();
    expect(ev.evidence.snapshot).toBeDefined();
    expect(ev.evidence.frame).toBeDefined();
    expectHashesMatch(ev);
    expect(p.maxHeld).toBe(0);
  });

  it('dwell 0: the confirming frame is also the first sight', async () => {
    const instant = resolveRules({ stall: { ...rule, dwellSec: 0, hits: 1, window: 1 } });
    const p = newPipeline();
    p.recorder = new EvidenceRecorder({ storageDir: dir, snapshot: { timeZone: 'UTC' } });
    const frame = frameAt(5);
    const detections: Detections = { cameraId: 'cam-9', timestamp: frame.timestamp, model: 'm', items: [stall(0.9)] };
    const res = step(p.state, { detections }, { camera, rules: instant });
    p.recorder.observe(res.tracks, frame);
    const [ev] = await p.recorder.onChanges(res.changes, frame, res.tracks);
    expect(await levelOf(dir, ev!.evidence.firstSeen!)).toBeCloseTo(5, -0.5);
    expect(await levelOf(dir, ev!.evidence.confirmed!)).toBeCloseTo(5, -0.5);
  });

  it('after a crash the same event keeps its proof and is ended, not duplicated', async () => {
    const p = newPipeline();
    await feed(p, every(0, 100), () => [stall(0.8)]);
    expect(p.log.map((l) => l.kind)).toEqual(['opened', 'updated', 'updated']);
    const stored = p.log.at(-1)!.event;

    // Restart: state from the open events (as the store has them), a fresh recorder told about them.
    const q = newPipeline(restore(JSON.parse(JSON.stringify([stored])) as PatrolEvent[]));
    q.recorder.restore([stored]);
    await feed(q, every(110, 200), (s) => (s <= 140 ? [stall(0.8)] : []));
    expect(q.log.map((l) => l.kind)).toEqual(['updated', 'updated', 'ended']);
    const ended = q.log.at(-1)!.event;
    expect(ended.id).toBe(stored.id);
    expect(ended.evidence.firstSeen).toBe(stored.evidence.firstSeen);
    expect(ended.evidence.confirmed).toBe(stored.evidence.confirmed);
    expect(q.log.at(-1)!.level.latest).toBeCloseTo(140, -0.5);
    expectHashesMatch(ended);
    expect(openEvents(q.state)).toEqual([]);
  });

  it('a failed write is reported and the event still goes out', async () => {
    const errors: string[] = [];
    const p = newPipeline();
    p.recorder = new EvidenceRecorder({
      storageDir: dir,
      render: async () => {
        throw new Error('disk full');
      },
      onError: (err, where) => errors.push(`${where.file}: ${(err as Error).message}`),
    });
    await feed(p, every(0, 30), () => [stall(0.8)]);
    expect(p.log.map((l) => l.kind)).toEqual(['opened']);
    expect(p.log[0]!.event.evidence).toEqual({ sha256: {} });
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors[0]).toMatch(/first-seen-.*: disk full/);
  });
});
