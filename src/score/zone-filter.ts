import type { CameraConfig, ZoneConfig } from '../config/schema.js';
import type { Detection } from '../contracts/detections.js';
import type { Box } from '../contracts/box.js';
import type { ViolationType } from '../contracts/violation.js';
import { boxOverlapFraction, pointInPolygon, type Point } from '../geometry/polygon.js';
import { scoreThreshold, type Rules } from './rules.js';

/** Id of the zone a camera without configured zones gets: the whole picture. */
export const FULL_FRAME_ZONE_ID = 'full-frame';

const FULL_FRAME: ZoneConfig['polygon'] = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
];

/** The part of a camera's config that decides which detections count where. */
export type ZoneCamera = Pick<CameraConfig, 'id' | 'zones' | 'violations'>;

/** A zone as the scorer uses it: what it watches, already narrowed to the camera's enabled types. */
export interface WatchedZone {
  id: string;
  polygon: ZoneConfig['polygon'];
  anchor: ZoneConfig['anchor'];
  minOverlap: number;
  violations: ViolationType[];
  /** True for the implicit whole-picture zone: no geometry test needed. */
  fullFrame: boolean;
}

/**
 * Zones that are in force on a camera. A violation type the camera does not enable is not watched in
 * any of its zones, even if a zone lists it. No zones means one full-frame zone for every enabled type.
 */
export function watchedZones(camera: ZoneCamera): WatchedZone[] {
  if (camera.zones.length === 0) {
    return [{ id: FULL_FRAME_ZONE_ID, polygon: FULL_FRAME, anchor: 'center', minOverlap: 0, violations: [...new Set(camera.violations)], fullFrame: true }];
  }
  return camera.zones.map((z) => ({
    id: z.id,
    polygon: z.polygon,
    anchor: z.anchor,
    minOverlap: z.minOverlap,
    violations: [...new Set(z.violations)].filter((v) => camera.violations.includes(v)),
    fullFrame: false,
  }));
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Whether a box is in the zone under the zone's anchor mode. Boxes are clamped to the picture first. */
export function boxInZone(box: Detection['box'], zone: Pick<WatchedZone, 'polygon' | 'anchor' | 'minOverlap' | 'fullFrame'>): boolean {
  if (zone.fullFrame) return true;
  const b: Box = [clamp01(box[0]), clamp01(box[1]), clamp01(box[2]), clamp01(box[3])];
  const cx = (b[0] + b[2]) / 2;
  switch (zone.anchor) {
    case 'bottom-center':
      return pointInPolygon([cx, b[3]] as Point, zone.polygon);
    case 'center':
      return pointInPolygon([cx, (b[1] + b[3]) / 2] as Point, zone.polygon);
    case 'overlap': {
      const f = boxOverlapFraction(b, zone.polygon);
      // minOverlap 0 still means "touches the zone", not "anywhere in the picture".
      return f > 0 && f >= zone.minOverlap;
    }
  }
}

/** The detections that count for one (zone, violation type) track in one frame. */
export interface ZoneHits {
  zoneId: string;
  type: ViolationType;
  detections: Detection[];
}

/** Key of a (zone, type) track; zone ids are [A-Za-z0-9_-], so '/' cannot collide. */
export function trackKey(zoneId: string, type: ViolationType): string {
  return `${zoneId}/${type}`;
}

/**
 * One entry per watched (zone, type), in config order, each with the detections that count for it
 * (possibly none: a miss is information too). A detection counts when its class feeds that violation,
 * its score passes the rule's threshold for its class, and it is in the zone by the zone's anchor mode.
 * Context-only classes (no `violation`, e.g. a garbage bin) never count.
 */
export function zoneHits(detections: readonly Detection[], camera: ZoneCamera, rules: Rules): ZoneHits[] {
  const out: ZoneHits[] = [];
  for (const zone of watchedZones(camera)) {
    for (const type of zone.violations) {
      const rule = rules[type];
      const hits = detections.filter(
        (d) => d.violation === type && d.score >= scoreThreshold(rule, d.label) && boxInZone(d.box, zone),
      );
      out.push({ zoneId: zone.id, type, detections: hits });
    }
  }
  return out;
}
