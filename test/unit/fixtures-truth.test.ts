import { describe, expect, it } from 'vitest';
import { PLANNED_DWELL_SEC } from '../../fixtures/plan.js';
import { positionAt, scaleScenario, type Scenario } from '../../fixtures/scenario.js';
import { SCENARIOS } from '../../fixtures/scenarios.js';
import { boxAt, buildTruth, keyTimes, type ObjectSize } from '../../fixtures/truth-build.js';
import { TruthSchema, type Truth } from '../../fixtures/truth.js';

const W = 704;
const H = 576;
const GEN = { version: 'test', hash: '0' };

/** Every layer present, its object a fixed fraction of the picture (what resolveScenario would measure). */
function sizesFor(s: Scenario): Map<string, ObjectSize> {
  return new Map(s.layers.map((l) => [l.id, { w: l.size * H * 0.8, h: l.size * H }]));
}

function truthOf(s: Scenario): Truth {
  return buildTruth(s, sizesFor(s), { width: W, height: H, fps: 25, source: 'shared', generator: GEN });
}

function inside(poly: ReadonlyArray<readonly [number, number]>, x: number, y: number): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

describe('fixture truth schema', () => {
  const base = truthOf(SCENARIOS.find((s) => s.name === 'dumping')!);

  it('accepts the truth of every scenario in the catalogue', () => {
    for (const s of SCENARIOS) expect(TruthSchema.safeParse(truthOf(s)).success, s.name).toBe(true);
  });

  it('survives a JSON round trip unchanged', () => {
    expect(TruthSchema.parse(JSON.parse(JSON.stringify(base)))).toEqual(base);
  });

  it('rejects a must-not-alert video with violations', () => {
    expect(TruthSchema.safeParse({ ...base, mustNotAlert: true }).success).toBe(false);
  });

  it('rejects a positive video without violations', () => {
    expect(TruthSchema.safeParse({ ...base, violations: [] }).success).toBe(false);
  });

  it('rejects a violation in an unknown zone or a zone that does not watch its type', () => {
    const v = base.violations[0]!;
    expect(TruthSchema.safeParse({ ...base, violations: [{ ...v, zoneId: 'nowhere' }] }).success).toBe(false);
    expect(TruthSchema.safeParse({ ...base, violations: [{ ...v, type: 'burning' }] }).success).toBe(false);
  });

  it('rejects intervals that end after the video or before they start', () => {
    const v = base.violations[0]!;
    expect(TruthSchema.safeParse({ ...base, violations: [{ ...v, endSec: base.durationSec + 1 }] }).success).toBe(false);
    expect(TruthSchema.safeParse({ ...base, violations: [{ ...v, startSec: 50, endSec: 40 }] }).success).toBe(false);
  });

  it('rejects boxes that are not [x1, y1, x2, y2] in 0..1', () => {
    const o = base.objects[0]!;
    expect(TruthSchema.safeParse({ ...base, objects: [{ ...o, track: [{ t: 8, box: [0.5, 0.5, 0.4, 0.6] }] }] }).success).toBe(false);
    expect(TruthSchema.safeParse({ ...base, objects: [{ ...o, track: [{ t: 8, box: [0.1, 0.1, 1.2, 0.6] }] }] }).success).toBe(false);
  });

  it('rejects unknown fields (strict), so typos in hand-edited truth files are caught', () => {
    expect(TruthSchema.safeParse({ ...base, mustnotalert: true }).success).toBe(false);
  });
});

describe('fixture catalogue', () => {
  it('has unique scenario names and unique layer ids per scenario', () => {
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const s of SCENARIOS) expect(new Set(s.layers.map((l) => l.id)).size, s.name).toBe(s.layers.length);
  });

  it('has the quick subset CI runs', () => {
    expect(SCENARIOS.filter((s) => s.quick).map((s) => s.name).sort()).toEqual(['bin_present', 'dumping', 'empty_day', 'fire', 'stall_setup']);
  });

  it('covers every violation type with a positive and a must-not-alert scene', () => {
    for (const type of ['stall', 'dumping', 'burning'] as const) {
      expect(SCENARIOS.some((s) => s.violations.some((v) => v.type === type))).toBe(true);
      expect(SCENARIOS.some((s) => s.mustNotAlert && s.zones.some((z) => z.violations.includes(type)))).toBe(true);
    }
  });

  it('lets every incident outlast its dwell by more than two 5 s analysis intervals', () => {
    for (const s of SCENARIOS) {
      for (const v of s.violations) expect(v.endSec - v.startSec, `${s.name} ${v.type}`).toBeGreaterThan(PLANNED_DWELL_SEC[v.type] + 2 * 5);
    }
  });

  it('puts each incident object in its zone (bottom-center) once it has settled', () => {
    for (const s of SCENARIOS) {
      for (const v of s.violations) {
        const zone = s.zones.find((z) => z.id === v.zoneId)!;
        for (const id of v.layers) {
          const l = s.layers.find((x) => x.id === id)!;
          const p = positionAt(l, v.startSec + 1);
          expect(inside(zone.polygon, p.x, Math.min(p.y, 0.999)), `${s.name}/${id}`).toBe(true);
        }
      }
    }
  });

  it('keeps incident objects visible from the incident start to its end', () => {
    for (const s of SCENARIOS) {
      for (const v of s.violations) {
        const ls = s.layers.filter((l) => v.layers.includes(l.id));
        expect(Math.min(...ls.map((l) => l.startSec)), s.name).toBeLessThanOrEqual(v.startSec);
        expect(Math.max(...ls.map((l) => l.endSec)), s.name).toBeGreaterThanOrEqual(v.endSec);
      }
    }
  });
});

describe('truth boxes', () => {
  const s = SCENARIOS.find((x) => x.name === 'dumping')!;
  const bag = s.layers.find((l) => l.id === 'bag_a')!;
  const size = { w: 80, h: 60 };

  it('stand on the layer path: bottom-center of the box is the path point', () => {
    for (const t of [8, 12, 17.3, 60]) {
      const b = boxAt(bag, size, W, H, t);
      const p = positionAt(bag, t);
      expect((b[0] + b[2]) / 2).toBeCloseTo(Math.min(1, p.x), 3);
      expect(b[3]).toBeCloseTo(Math.min(1, p.y), 3);
      expect(b[3] - b[1]).toBeCloseTo(Math.min(p.y, 1) - Math.max(0, p.y - size.h / H), 3);
    }
  });

  it('record the key times of the motion, clipped to the visible interval', () => {
    expect(keyTimes(bag)).toEqual([8, 16, 17, 17.3, 120]);
  });

  it('unroll looping paths', () => {
    const steam = SCENARIOS.find((x) => x.name === 'haze_steam')!.layers.find((l) => l.id === 'steam')!;
    const ts = keyTimes(steam);
    expect(ts[0]).toBe(0);
    expect(ts.at(-1)).toBe(90);
    expect(ts.length).toBeGreaterThan(20);
  });

  it('scale with --duration: the truth of a shortened scene keeps its proportions', () => {
    const short = scaleScenario(s, 12);
    const t = truthOf(short);
    expect(t.durationSec).toBe(12);
    expect(t.violations[0]!.startSec).toBeCloseTo((17 * 12) / 120, 3);
    expect(t.violations[0]!.endSec).toBe(12);
    expect(TruthSchema.safeParse(t).success).toBe(true);
  });

  it('leave out layers whose assets are missing (dropped bystanders)', () => {
    const sizes = sizesFor(s);
    for (const id of [...sizes.keys()]) if (id.startsWith('dumper') || id.startsWith('passer')) sizes.delete(id);
    const t = buildTruth(s, sizes, { width: W, height: H, fps: 25, source: 'procedural', generator: GEN });
    expect(t.objects.map((o) => o.id).sort()).toEqual(['bag_a', 'bag_b']);
    expect(t.violations[0]!.objects).toEqual(['bag_a', 'bag_b']);
  });
});
