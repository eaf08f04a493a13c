import { describe, expect, it } from 'vitest';
import { CameraSchema, DEFAULT_RULES, type RuleConfig } from '../../src/config/schema.js';
import type { Detection } from '../../src/contracts/detections.js';
import { resolveRules, scoreThreshold } from '../../src/score/rules.js';
import { boxInZone, FULL_FRAME_ZONE_ID, trackKey, watchedZones, zoneHits } from '../../src/score/zone-filter.js';

const det = (label: string, box: Detection['box'], score = 0.8, violation: Detection['violation'] | null = 'stall'): Detection => ({
  classId: 0,
  label,
  score,
  box,
  ...(violation ? { violation } : {}),
});

// Left half of the picture, lower half.
const leftLower = [
  [0, 0.5],
  [0.5, 0.5],
  [0.5, 1],
  [0, 1],
] as [number, number][];

describe('watchedZones', () => {
  it('no zones → one full-frame zone for every enabled violation', () => {
    const cam = CameraSchema.parse({ id: 'c1', url: 'file://x.mp4', violations: ['stall', 'burning'] });
    const zones = watchedZones(cam);
    expect(zones).toHaveLength(1);
    expect(zones[0]!.id).toBe(FULL_FRAME_ZONE_ID);
    expect(zones[0]!.violations).toEqual(['stall', 'burning']);
  });
  it('zone violations are narrowed to the camera-enabled ones', () => {
    const cam = CameraSchema.parse({
      id: 'c1',
      url: 'file://x.mp4',
      violations: ['stall'],
      zones: [{ id: 'z', polygon: leftLower, violations: ['stall', 'dumping'] }],
    });
    expect(watchedZones(cam)[0]!.violations).toEqual(['stall']);
  });
});

describe('boxInZone anchor modes', () => {
  const zone = (anchor: 'bottom-center' | 'center' | 'overlap', minOverlap = 0.3) => ({ polygon: leftLower, anchor, minOverlap, fullFrame: false });
  // Box straddling y=0.5: its feet are in the zone, its center above it.
  const standing: Detection['box'] = [0.1, 0.1, 0.3, 0.6];
  it('bottom-center uses the feet', () => {
    expect(boxInZone(standing, zone('bottom-center'))).toBe(true);
    expect(boxInZone([0.1, 0.1, 0.3, 0.4], zone('bottom-center'))).toBe(false);
  });
  it('center uses the middle', () => {
    expect(boxInZone(standing, zone('center'))).toBe(false);
    expect(boxInZone([0.1, 0.4, 0.3, 0.9], zone('center'))).toBe(true);
  });
  it('overlap uses the fraction inside', () => {
    // standing: area 0.2 × 0.5; inside part 0.2 × 0.1 → 0.2
    expect(boxInZone(standing, zone('overlap', 0.3))).toBe(false);
    expect(boxInZone(standing, zone('overlap', 0.2))).toBe(true);
    expect(boxInZone([0.1, 0.1, 0.3, 0.4], zone('overlap', 0))).toBe(false);
  });
  it('a box poking out below the picture is clamped, so it stays in a bottom zone', () => {
    expect(boxInZone([0.1, 0.8, 0.3, 1.02], zone('bottom-center'))).toBe(true);
  });
  it('full-frame contains everything', () => {
    expect(boxInZone([0.9, 0.9, 1.1, 1.1], { polygon: leftLower, anchor: 'center', minOverlap: 0, fullFrame: true })).toBe(true);
  });
});

describe('zoneHits', () => {
  const cam = CameraSchema.parse({
    id: 'c1',
    url: 'file://x.mp4',
    zones: [
      { id: 'sidewalk', polygon: leftLower, violations: ['stall', 'dumping'] },
      { id: 'right', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], violations: ['stall'] },
    ],
  });
  const rules = resolveRules({});

  it('one entry per watched (zone, type), misses included, in config order', () => {
    const hits = zoneHits([], cam, rules);
    expect(hits.map((h) => trackKey(h.zoneId, h.type))).toEqual(['sidewalk/stall', 'sidewalk/dumping', 'right/stall']);
    expect(hits.every((h) => h.detections.length === 0)).toBe(true);
  });
  it('routes detections by zone and violation type', () => {
    const stallLeft = det('stall', [0.1, 0.6, 0.2, 0.9]);
    const stallRight = det('stall', [0.7, 0.6, 0.8, 0.9]);
    const trash = det('garbage_pile', [0.2, 0.6, 0.3, 0.9], 0.7, 'dumping');
    const hits = zoneHits([stallLeft, stallRight, trash], cam, rules);
    expect(hits[0]!.detections).toEqual([stallLeft]);
    expect(hits[1]!.detections).toEqual([trash]);
    expect(hits[2]!.detections).toEqual([stallRight]);
  });
  it('context-only classes (no violation) never count', () => {
    const bin = det('garbage_bin', [0.1, 0.6, 0.2, 0.9], 0.99, null);
    expect(zoneHits([bin], cam, rules).every((h) => h.detections.length === 0)).toBe(true);
  });
  it('a detection outside every zone counts nowhere', () => {
    const up = det('stall', [0.1, 0.1, 0.2, 0.3]);
    expect(zoneHits([up], cam, rules)[0]!.detections).toEqual([]);
  });
  it('per-class threshold, then minScore, then the manifest threshold', () => {
    const strict: RuleConfig = { ...DEFAULT_RULES.stall, minScore: 0.6, classScores: { umbrella_stall: 0.9 } };
    expect(scoreThreshold(strict, 'umbrella_stall')).toBe(0.9);
    expect(scoreThreshold(strict, 'cart')).toBe(0.6);
    expect(scoreThreshold(DEFAULT_RULES.stall, 'cart')).toBe(0);
    const r = { ...rules, stall: strict };
    const umbrella = det('umbrella_stall', [0.1, 0.6, 0.2, 0.9], 0.85);
    const cart = det('cart', [0.1, 0.6, 0.2, 0.9], 0.65);
    const weakCart = det('cart', [0.1, 0.6, 0.2, 0.9], 0.55);
    expect(zoneHits([umbrella, cart, weakCart], cam, r)[0]!.detections).toEqual([cart]);
  });
});

describe('resolveRules', () => {
  it('fills omitted types with defaults', () => {
    const custom = { ...DEFAULT_RULES.stall, dwellSec: 10 };
    const r = resolveRules({ stall: custom });
    expect(r.stall.dwellSec).toBe(10);
    expect(r.dumping).toEqual(DEFAULT_RULES.dumping);
    expect(resolveRules(undefined).burning).toEqual(DEFAULT_RULES.burning);
  });
});
