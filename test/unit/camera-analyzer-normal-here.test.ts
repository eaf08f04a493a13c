import { describe, expect, it } from 'vitest';
import { CameraSchema } from '../../src/config/schema.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { DispatchQueue } from '../../src/dispatch/queue.js';
import { CameraAnalyzer, type EvidencePort } from '../../src/pipeline/camera-analyzer.js';
import { applyNormalHere, rereferenceOnShift } from '../../src/pipeline/shift-rereference.js';
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

function analyzer(): { a: CameraAnalyzer; published: DispatchMessage[] } {
  const published: DispatchMessage[] = [];
  const queue: DispatchQueue = { kind: 'embedded', publish: async (m) => void published.push(m), consume: async () => {}, depth: async () => 0, close: async () => {} };
  return { a: new CameraAnalyzer(camera, rules, queue, evidence), published };
}

async function feed(a: CameraAnalyzer, from: number, to: number, objects: (i: number) => SynthObject[]): Promise<void> {
  for (let i = from; i < to; i++) {
    const f = frame(i, objects(i));
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
    expect(applyNormalHere((id, b) => (id === 'cam1' ? a.acceptAsNormal(b) : false), 'cam1', boxes)).toBe(true);
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
    expect(applyNormalHere((_, b) => a.acceptAsNormal(b), 'cam1', [[0.1, 0.1, 0.3, 0.3]])).toBe(false);
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
