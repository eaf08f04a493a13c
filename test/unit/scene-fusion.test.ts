import { describe, expect, it } from 'vitest';
import { classifyRegion, gateByScene, sceneDetections, SCENE_LABEL } from '../../src/score/scene-fusion.js';
import type { StaticRegion } from '../../src/scene/regions.js';
import { step, createCameraScoreState } from '../../src/score/scorer.js';
import type { CameraConfig } from '../../src/config/schema.js';
import { DEFAULT_RULES } from '../../src/config/schema.js';

const T = 1_700_000_000_000;

function region(over: Partial<StaticRegion> = {}): StaticRegion {
  return {
    id: 1,
    box: [0.4, 0.6, 0.55, 0.8],
    cells: 40,
    area: 0.02,
    since: T - 60_000,
    ageMs: 60_000,
    stability: 1,
    attendedMs: 0,
    attendedFraction: 0,
    lastAttendedAt: null,
    nearest: Infinity,
    labels: {},
    frames: 30,
    ...over,
  };
}

const attended = { attendedMs: 50_000, attendedFraction: 0.8, lastAttendedAt: T, nearest: 0.2 };

describe('scene fusion: what a static region means', () => {
  it('left alone in a zone watching both: dumping; attended: stall', () => {
    expect(classifyRegion(region(), undefined, ['stall', 'dumping'], T)).toBe('dumping');
    expect(classifyRegion(region(attended), undefined, ['stall', 'dumping'], T)).toBe('stall');
  });

  it('a dumping spot: left alone is dumping; attended needs stall furniture to be a stall', () => {
    expect(classifyRegion(region(), 'dumping-spot', ['stall', 'dumping'], T)).toBe('dumping');
    expect(classifyRegion(region(attended), 'dumping-spot', ['stall', 'dumping'], T)).toBeNull();
    expect(classifyRegion(region({ ...attended, labels: { umbrella: 20 } }), 'dumping-spot', ['stall', 'dumping'], T)).toBe('stall');
  });

  it('a frontage: goods put out are a stall even unattended, but not a small parcel', () => {
    expect(classifyRegion(region(), 'frontage', ['stall'], T)).toBe('stall');
    expect(classifyRegion(region({ area: 0.003 }), 'frontage', ['stall'], T)).toBeNull();
  });

  it('a stall-only sidewalk stays silent on an unattended object; a dumping-only zone on an attended one', () => {
    expect(classifyRegion(region(), 'sidewalk', ['stall'], T)).toBeNull();
    expect(classifyRegion(region(attended), undefined, ['dumping'], T)).toBeNull();
  });

  it('a passer-by stopping by it for a moment does not make it attended', () => {
    expect(classifyRegion(region({ attendedMs: 4_000, attendedFraction: 0.07, lastAttendedAt: T - 5_000 }), undefined, ['stall', 'dumping'], T)).toBe('dumping');
  });

  it('a parked car on it vetoes; garbage classes make a lone object dumping', () => {
    expect(classifyRegion(region({ labels: { car: 25 } }), undefined, ['stall', 'dumping'], T)).toBeNull();
    expect(classifyRegion(region({ labels: { garbage: 10 } }), 'frontage', ['stall', 'dumping'], T)).toBe('dumping');
  });

  it('a burning-only zone ignores regions', () => {
    expect(classifyRegion(region(), undefined, ['burning'], T)).toBeNull();
  });
});

describe('scene detections through the scorer', () => {
  const camera: CameraConfig = {
    id: 'cam',
    url: 'file://x.mp4',
    enabled: true,
    loop: false,
    intervalSec: 2,
    decode: 'keyframe',
    violations: ['stall', 'dumping'],
    zones: [
      { id: 'spot', polygon: [[0.3, 0.5], [0.7, 0.5], [0.7, 1], [0.3, 1]], violations: ['dumping'], anchor: 'bottom-center', minOverlap: 0.3, kind: 'dumping-spot' },
      { id: 'elsewhere', polygon: [[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]], violations: ['stall', 'dumping'], anchor: 'bottom-center', minOverlap: 0.3 },
    ],
  };

  it('only regions inside a watched zone become detections, labelled as the scene model', () => {
    const dets = sceneDetections([region(), region({ id: 2, box: [0.8, 0.1, 0.9, 0.2] })], camera, T);
    expect(dets).toHaveLength(1);
    expect(dets[0]).toMatchObject({ label: SCENE_LABEL, violation: 'dumping', classId: -1 });
  });

  it('a region that stays opens one dumping event after the dwell, through the ordinary rules', () => {
    let state = createCameraScoreState();
    const rules = { ...DEFAULT_RULES, dumping: { ...DEFAULT_RULES.dumping, dwellSec: 30 } };
    const opened: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = T + i * 2000;
      const items = sceneDetections([region({ ageMs: i * 2000 + 4000 })], camera, t);
      const res = step(state, { detections: { cameraId: 'cam', timestamp: t, model: 'm', items } }, { camera, rules });
      state = res.state;
      for (const c of res.changes) if (c.kind === 'opened') opened.push(i);
    }
    expect(opened).toEqual([15]);
  });
});

describe('detector boxes gated by the scene model', () => {
  it('keeps stall/dumping boxes only on a static region; other classes pass', () => {
    const items = [
      { classId: 0, label: 'garbage', score: 0.9, box: [0.42, 0.62, 0.5, 0.75] as [number, number, number, number], violation: 'dumping' as const },
      { classId: 0, label: 'garbage', score: 0.9, box: [0.05, 0.05, 0.1, 0.1] as [number, number, number, number], violation: 'dumping' as const },
      { classId: 3, label: 'fire', score: 0.9, box: [0.05, 0.05, 0.1, 0.1] as [number, number, number, number], violation: 'burning' as const },
      { classId: 5, label: 'person', score: 0.9, box: [0.05, 0.05, 0.1, 0.3] as [number, number, number, number] },
    ];
    expect(gateByScene(items, [region()]).map((d) => d.box[0])).toEqual([0.42, 0.05, 0.05]);
    expect(gateByScene(items, []).map((d) => d.label)).toEqual(['fire', 'person']);
  });
});
