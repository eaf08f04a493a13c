import type { ZoneConfig } from '../config/schema.js';
import type { Detection } from '../contracts/detections.js';
import type { ViolationType } from '../contracts/violation.js';
import type { StaticRegion } from '../scene/regions.js';
import { boxInZone, watchedZones, type ZoneCamera } from './zone-filter.js';

/**
 * Turns the scene model's static regions into candidate detections the scorer treats like any other
 * (K-of-M persistence, dwell, one event per zone and type, end, cooldown). What a region means follows
 * from the zone it stands in and from its context:
 *  - attended (a person's feet near it for a good part of its life) → stall: a vendor with goods;
 *  - left alone → dumping;
 *  - stall furniture on it (umbrella, table, chair, bench) or a cart beside it (bicycle, motorcycle) makes
 *    an attended region a stall even in a dumping spot; garbage classes on it make a lone one dumping;
 *  - a zone's `kind` says what a new object there means: a shop frontage counts goods put out as a stall
 *    even while the shopkeeper is inside; a dumping spot counts a lone object as dumping.
 * Parked vehicles and seated people never reach here: the scene model masks them.
 */

export const SCENE_LABEL = 'new_object';
/** Marks a detection as the scene model's (no detector class has a negative id). */
export const SCENE_CLASS_ID = -1;

const FURNITURE = new Set(['umbrella', 'dining table', 'chair', 'bench']);
const CARTS = new Set(['bicycle', 'motorcycle']);
const GARBAGE = new Set(['garbage', 'overflow']);
const PARKED = new Set(['car', 'bus', 'truck']);

export interface FusionOptions {
  /** Attended: a person near it for at least this fraction of its life ... */
  attendedFraction: number;
  /** ... or right now, after at least this long near it in all (seconds). */
  attendedSec: number;
  /** Left alone: nobody near it for this long (seconds). */
  leftAloneSec: number;
  /** An unattended object in a frontage is a stall only from this fraction of the picture (a parcel is not). */
  frontageMinArea: number;
}

export const DEFAULT_FUSION: FusionOptions = { attendedFraction: 0.25, attendedSec: 10, leftAloneSec: 20, frontageMinArea: 0.01 };

export type ZoneKind = NonNullable<ZoneConfig['kind']>;

function seen(region: StaticRegion, classes: ReadonlySet<string>): boolean {
  return Object.entries(region.labels).some(([label, frames]) => classes.has(label) && frames >= Math.max(1, region.frames * 0.2));
}

/** What a static region in a zone of `kind` watching `types` is: a stall, dumping, or nothing. */
export function classifyRegion(region: StaticRegion, kind: ZoneKind | undefined, types: readonly ViolationType[], t: number, o: FusionOptions = DEFAULT_FUSION): ViolationType | null {
  const stall = types.includes('stall');
  const dumping = types.includes('dumping');
  if (!stall && !dumping) return null;
  if (seen(region, PARKED)) return null;
  const recent = region.lastAttendedAt !== null && t - region.lastAttendedAt <= o.leftAloneSec * 1000;
  const attended = region.attendedFraction >= o.attendedFraction || (recent && region.attendedMs >= o.attendedSec * 1000);
  // Passers-by stopping for a moment do not make it theirs; only attendance does.
  const alone = !attended;
  const furniture = seen(region, FURNITURE) || seen(region, CARTS);
  const garbage = seen(region, GARBAGE);

  if (stall && attended && (furniture || kind !== 'dumping-spot')) return 'stall';
  if (stall && kind === 'frontage' && !garbage && region.area >= o.frontageMinArea) return 'stall';
  if (stall && !dumping && furniture && !alone) return 'stall';
  if (dumping && (alone || (garbage && !attended))) return 'dumping';
  return null;
}

/**
 * The scene model's regions as detections for the scorer: one per region that means a violation in the
 * first watched zone that contains it (by the zone's anchor). Score: the region's solidity, 0.5–1.
 */
export function sceneDetections(regions: readonly StaticRegion[], camera: ZoneCamera & { zones: readonly Pick<ZoneConfig, 'id' | 'kind'>[] }, t: number, o: FusionOptions = DEFAULT_FUSION): Detection[] {
  const zones = watchedZones(camera);
  const kinds = new Map(camera.zones.map((z) => [z.id, z.kind]));
  const out: Detection[] = [];
  for (const region of regions) {
    for (const zone of zones) {
      if (!zone.violations.some((v) => v === 'stall' || v === 'dumping') || !boxInZone(region.box, zone)) continue;
      const type = classifyRegion(region, kinds.get(zone.id), zone.violations, t, o);
      if (type) {
        out.push({ classId: SCENE_CLASS_ID, label: SCENE_LABEL, score: Math.round((0.5 + 0.5 * region.stability) * 1000) / 1000, box: [...region.box], violation: type });
        break;
      }
    }
  }
  return out;
}

/**
 * With a scene model, the detector's stall and dumping boxes count only on something new: where the
 * picture differs from the reference (`novel`, from the first frame an object shows) or on a static
 * region. What was in the zone when the camera started (a pile, the café's chairs, the bins) is baseline
 * and never alerts, whichever class the detector gives it. Other classes pass unchanged.
 */
export function gateByScene(items: readonly Detection[], regions: readonly StaticRegion[], novel: (box: Detection['box']) => boolean = () => false, minOverlap = 0.2): Detection[] {
  return items.filter((d) => {
    if (d.violation !== 'stall' && d.violation !== 'dumping') return true;
    if (novel(d.box)) return true;
    const area = Math.max(1e-9, (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]));
    return regions.some((r) => {
      const ix = Math.max(0, Math.min(d.box[2], r.box[2]) - Math.max(d.box[0], r.box[0]));
      const iy = Math.max(0, Math.min(d.box[3], r.box[3]) - Math.max(d.box[1], r.box[1]));
      return (ix * iy) / area >= minOverlap;
    });
  });
}
