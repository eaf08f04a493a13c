import { describe, expect, it } from 'vitest';
import { CameraSchema } from '../../src/config/schema.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { DispatchQueue } from '../../src/dispatch/queue.js';
import { CameraAnalyzer, type EvidencePort, type OpenEventsPort } from '../../src/pipeline/camera-analyzer.js';
import type { PatrolEvent } from '../../src/contracts/event.js';
import type { SceneState } from '../../src/scene/model.js';
import { decodeScene, encodeScene, MAX_SCENE_RESUME_GAP_MS, type ScenePort } from '../../src/scene/snapshot.js';
import { applyNormalHere, rereferenceOnShift } from '../../src/pipeline/scene-hooks.js';
import { resolveRules } from '../../src/score/rules.js';
import { render, type SynthObject } from './scene-synthetic.js';

const T0 = Date.UTC(2026, 0, 1);
const STEP_SEC = 2;
const PILE: SynthObject = { x: 150, y: 230, w: 60, h: 40, color: [40, 90, 160], stripes: 6 };
const camera = CameraSchema.parse({ id: 'cam1', url: 'rtsp://127.0.0.1:1/cam1', violations: ['dumping'], intervalSec: STEP_SEC });
const rules = resolveRules({ dumping: { classScores: {}, dwellSec: 10, hits: 2, window: 3, endAfterSec: 10, cooldownSec: 600 } });
const evidence: EvidencePort = { observe: () => {}, attach: async (changes) => changes, restore: () => {} };

function frame(i: number, objects: SynthObject[]): Frame {
  const px = render(objects, {}, 4, 100 + i);
  return { ...px, cameraId: 'cam1', timestamp: T0 + i * STEP_SEC * 1000, ptsMs: i * STEP_SEC * 1000, sourceWidth: 704, sourceHeight: 576 } as Frame;
}

function analyzer(ports: { open?: OpenEventsPort; scenes?: ScenePort } = {}, published: DispatchMessage[] = []): { a: CameraAnalyzer; published: DispatchMessage[] } {
  const queue: DispatchQueue = { kind: 'embedded', publish: async (m) => void published.push(m), consume: async () => {}, depth: async () => 0, close: async () => {} };
  return { a: new CameraAnalyzer(camera, rules, queue, evidence, ports.open, undefined, undefined, ports.scenes), published };
}

async function feed(a: CameraAnalyzer, from: number, to: number, objects: (i: number) => SynthObject[], offsetMs = 0): Promise<void> {
  for (let i = from; i < to; i++) {
    const f0 = frame(i, objects(i));
    const f = { ...f0, timestamp: f0.timestamp + offsetMs };
    await a.handle(f, { cameraId: 'cam1', timestamp: f.timestamp, model: 'm', items: [] });
  }
}

describe('a reviewer\'s "normal here" reaches the camera\'s scene model', () => {
  it('a dumped pile opens an event; marked normal here, its region joins the reference and the event ends', async () => {
    const { a, published } = analyzer();
    await feed(a, 0, 30, (i) => (i >= 3 ? [PILE] : []));
    const opened = published.filter((m) => m.kind === 'opened');
    expect(opened).toHaveLength(1);
    const boxes = opened[0]!.event.bestBoxes.map((b) => b.box);
    expect(applyNormalHere({ acceptAsNormal: (id, b) => (id === 'cam1' ? a.acceptAsNormal(b) : false) }, { cameraId: 'cam1', boxes })).toBe(true);
    await feed(a, 30, 50, () => [PILE]);
    expect(published.filter((m) => m.kind === 'ended').map((m) => m.event.id)).toEqual([opened[0]!.event.id]);
    // And it does not come back as a new event while it stays.
    await feed(a, 50, 120, () => [PILE]);
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(1);
  });

  it('without the notice the same pile keeps its event open', async () => {
    const { a, published } = analyzer();
    await feed(a, 0, 50, (i) => (i >= 3 ? [PILE] : []));
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(1);
    expect(published.filter((m) => m.kind === 'ended')).toHaveLength(0);
  });

  it('before the first frame there is no scene model to teach', () => {
    const { a } = analyzer();
    expect(applyNormalHere({ acceptAsNormal: (_, b) => a.acceptAsNormal(b) }, { cameraId: 'cam1', boxes: [[0.1, 0.1, 0.3, 0.3]] })).toBe(false);
  });
});

describe('re-reference on a view shift', () => {
  it('fires once when the alert rises, again only after it cleared and rose anew', () => {
    const raised = new Map<string, boolean>();
    const calls: string[] = [];
    const check = rereferenceOnShift((id) => raised.get(id) ?? false, (id) => calls.push(id));
    check('a');
    raised.set('a', true);
    check('a');
    check('a');
    check('b');
    raised.set('a', false);
    check('a');
    raised.set('a', true);
    check('a');
    expect(calls).toEqual(['a', 'a']);
  });
});

/** In-memory ports that go through the real byte encoding, as the file and Redis stores do. */
function memoryPorts(): { open: OpenEventsPort; scenes: ScenePort & { saves: number } } {
  const events = new Map<string, PatrolEvent[]>();
  const bytes = new Map<string, Buffer>();
  const scenes = {
    saves: 0,
    saveEveryMs: 60_000,
    load: (id: string): SceneState | undefined => {
      const b = bytes.get(id);
      if (!b) return undefined;
      const d = decodeScene(b);
      if ('error' in d) throw new Error(d.error);
      return d.state;
    },
    save(id: string, state: SceneState) {
      this.saves++;
      bytes.set(id, encodeScene(state));
    },
  };
  return { open: { load: (id) => events.get(id) ?? [], save: (id, e) => void events.set(id, e) }, scenes };
}

describe('the scene model survives a restart', () => {
  it('an open event on a pile continues after a restart instead of ending (the pile is not re-baselined)', async () => {
    const ports = memoryPorts();
    const published: DispatchMessage[] = [];
    const first = analyzer(ports, published).a;
    await feed(first, 0, 30, (i) => (i >= 3 ? [PILE] : []));
    first.saveScene();
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(1);
    const second = analyzer(ports, published).a;
    await feed(second, 33, 70, () => [PILE]);
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(1);
    expect(published.filter((m) => m.kind === 'ended')).toHaveLength(0);
    expect(ports.scenes.saves).toBeGreaterThan(1);
  });

  it('without the saved scene the same restart ends the event: the pile became the baseline', async () => {
    const ports = memoryPorts();
    const published: DispatchMessage[] = [];
    const first = analyzer({ open: ports.open }, published).a;
    await feed(first, 0, 30, (i) => (i >= 3 ? [PILE] : []));
    const second = analyzer({ open: ports.open }, published).a;
    await feed(second, 33, 70, () => [PILE]);
    expect(published.filter((m) => m.kind === 'ended')).toHaveLength(1);
  });

  it('a pile dumped while the process was down is new, not baseline', async () => {
    const ports = memoryPorts();
    const published: DispatchMessage[] = [];
    const first = analyzer(ports, published).a;
    await feed(first, 0, 20, () => []);
    first.saveScene();
    const second = analyzer(ports, published).a;
    await feed(second, 25, 60, () => [PILE]);
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(1);
  });

  it('a saved scene older than the resume limit is dropped: the view now is the baseline', async () => {
    const ports = memoryPorts();
    const published: DispatchMessage[] = [];
    const first = analyzer(ports, published).a;
    await feed(first, 0, 20, () => []);
    first.saveScene();
    const second = analyzer(ports, published).a;
    await feed(second, 25, 60, () => [PILE], MAX_SCENE_RESUME_GAP_MS + 60_000);
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(0);
  });
});

describe('scene snapshot bytes', () => {
  it('round-trips, and refuses damaged input with a reason', async () => {
    const ports = memoryPorts();
    const { a } = analyzer(ports);
    await feed(a, 0, 30, (i) => (i >= 3 ? [PILE] : []));
    a.saveScene();
    const state = ports.scenes.load('cam1')!;
    const bytes = encodeScene(state);
    const back = decodeScene(bytes);
    if ('error' in back) throw new Error(back.error);
    expect(back.state.grid).toEqual(state.grid);
    expect(Array.from(back.state.ref)).toEqual(Array.from(state.ref));
    expect(Array.from(back.state.picture.data.subarray(0, 999))).toEqual(Array.from(state.picture.data.subarray(0, 999)));
    expect(back.state.tracks).toEqual(state.tracks);
    expect(state.tracks.length).toBeGreaterThan(0);
    expect(bytes.length).toBeLessThan(400_000);
    expect(decodeScene(bytes.subarray(0, bytes.length - 10))).toMatchObject({ error: expect.stringContaining('truncated') });
    expect(decodeScene(Buffer.from('nope'))).toMatchObject({ error: expect.stringContaining('magic') });
    const bad = Buffer.from(bytes);
    bad.write('{', 8);
    bad.write('x', 9);
    expect(decodeScene(bad)).toMatchObject({ error: expect.stringContaining('header') });
  });
});
