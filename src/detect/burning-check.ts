import type { Box } from '../contracts/box.js';
import type { Detection, Detections } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import type { Burst } from '../decode/burst.js';
import { iou } from '../geometry/box.js';
import { type Log, silentLog } from '../log/log.js';
import { type BurnFeatures, burnFeatures } from './burn-features.js';

export interface BurningCheckOptions {
  /** Fire/smoke detections down to this share of the manifest threshold are candidates a burst may confirm. */
  candidateRatio: number;
  /** At most one burst per camera per this many seconds of stream time; verdicts in between come from the cache. */
  everySec: number;
  /** A verdict stands for a candidate in the same place for this long. */
  holdSec: number;
}

export type Verdict = { ok: boolean; why: string };

/**
 * Fire: flame-coloured, its outline flickering between consecutive frames, not switching as one block (a blinking
 * sign), not travelling as a rigid light (head- or brake lights), and changing more than the rest of the picture.
 * Thresholds from the measurements in models/README.md (real flames: flicker 0.29–0.69; steady look-alikes ≤ 0.02).
 */
export function judgeFire(f: BurnFeatures): Verdict {
  if (f.frames < 4) return { ok: false, why: `burst too short (${f.frames} frames)` };
  if (f.flameFraction < 0.03) return { ok: false, why: `not flame-coloured (${f.flameFraction.toFixed(2)})` };
  if (f.flicker < 0.12) return { ok: false, why: `steady, no flicker (${f.flicker.toFixed(2)})` };
  if (f.blockToggle > 0.5) return { ok: false, why: `switches as one block (${f.blockToggle.toFixed(2)})` };
  if (f.straightness > 0.8 && f.travel > 0.2) return { ok: false, why: `moves as a rigid light (travel ${f.travel.toFixed(2)})` };
  if (f.motionRatio < 1.2) return { ok: false, why: `changes no more than the picture around it (${f.motionRatio.toFixed(2)})` };
  return { ok: true, why: `flickering flame (flicker ${f.flicker.toFixed(2)}, flame ${f.flameFraction.toFixed(2)})` };
}

/**
 * Smoke is not confirmed on its own look: steam, exhaust and fog are grey, drifting and common at a street. It counts
 * beside a confirmed flame in the same burst, or above its own threshold when it drifts, is not white (steam) and
 * does not fill the picture (fog).
 */
export function judgeSmoke(f: BurnFeatures, aboveThreshold: boolean, flameSeen: boolean): Verdict {
  if (f.frames < 4) return { ok: false, why: `burst too short (${f.frames} frames)` };
  if (f.boxArea > 0.6) return { ok: false, why: `fills the picture like fog (${f.boxArea.toFixed(2)})` };
  if (f.motionRatio < 1.1) return { ok: false, why: `does not drift (${f.motionRatio.toFixed(2)})` };
  if (flameSeen) return { ok: true, why: 'beside a flickering flame' };
  if (!aboveThreshold) return { ok: false, why: 'below threshold and no flame to back it' };
  if (f.brightness > 175 && f.saturation < 0.3) return { ok: false, why: `white like steam (brightness ${f.brightness.toFixed(0)})` };
  return { ok: true, why: 'drifting grey smoke' };
}

interface Cached {
  box: Box;
  label: string;
  atMs: number;
  verdict: Verdict;
}

export interface BurstSource {
  /** A short run of consecutive frames around this frame, or undefined when none can be had (then nothing is promoted). */
  (frame: Frame, durationSec: number): Promise<Burst | undefined>;
}

export interface BurningCheckStats {
  bursts: number;
  confirmed: number;
  rejected: number;
  /** Candidates let through or dropped without a burst (rate limit or no burst source). */
  unchecked: number;
  /** Of those, above the threshold but held back because the rate limit allowed no burst for them yet. */
  deferred: number;
}

/**
 * Second stage for one camera's burning detections. The detector hands over fire and smoke down to
 * `candidateRatio` of their thresholds; a candidate under the threshold passes only when a burst of consecutive
 * frames confirms it, and one above is dropped when the burst refutes it. Frames without a fire or smoke candidate
 * (nearly all of them) cost one pass over the detections.
 */
export class BurningCheck {
  private cache: Cached[] = [];
  private lastBurstMs = -Infinity;
  /** Whether this camera can give bursts at all; unknown until the first attempt. */
  private burstsAvailable: boolean | undefined;
  readonly stats: BurningCheckStats = { bursts: 0, confirmed: 0, rejected: 0, unchecked: 0, deferred: 0 };

  constructor(
    private readonly opts: BurningCheckOptions,
    /** Manifest threshold per label of the classes that feed burning. */
    private readonly thresholds: ReadonlyMap<string, number>,
    private readonly burst: BurstSource,
    private readonly log: Log = silentLog,
  ) {}

  async verify(frame: Frame, detections: Detections): Promise<Detections> {
    const cands = detections.items.filter((d) => this.thresholds.has(d.label));
    if (cands.length === 0) return detections;
    const now = frame.timestamp;
    this.cache = this.cache.filter((c) => now - c.atMs <= this.opts.holdSec * 1000 && now >= c.atMs);
    const lookup = (d: Detection) => this.cache.find((c) => c.label === d.label && iou(c.box, d.box) >= 0.3);
    const open = cands.filter((d) => !lookup(d));
    if (open.length > 0 && now - this.lastBurstMs >= this.opts.everySec * 1000) {
      this.lastBurstMs = now;
      await this.runBurst(frame, open);
    }
    const keep = detections.items.filter((d) => {
      const threshold = this.thresholds.get(d.label);
      if (threshold === undefined) return true;
      const c = lookup(d);
      if (!c) {
        this.stats.unchecked++;
        // Where bursts can be had, nothing passes unjudged: a look-alike that moves (orange clothing, a
        // passing lamp) is a new box every frame and would slip through between rate-limited bursts. A real
        // fire stays put and is judged at the next burst, at most everySec later.
        if (this.burstsAvailable && d.score >= threshold) {
          this.stats.deferred++;
          return false;
        }
        return d.score >= threshold;
      }
      return c.verdict.ok;
    });
    return keep.length === detections.items.length ? detections : { ...detections, items: keep };
  }

  private async runBurst(frame: Frame, open: readonly Detection[]): Promise<void> {
    let b: Burst | undefined;
    try {
      b = await this.burst(frame, 1);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'burning check: burst decode failed; candidates under the threshold are dropped');
    }
    this.burstsAvailable = b !== undefined;
    if (!b) return;
    this.stats.bursts++;
    const features = open.map((d) => ({ d, f: burnFeatures(b.frames, b.width, b.height, d.box) }));
    const fires = features.filter((x) => x.d.label === 'fire').map((x) => ({ ...x, v: judgeFire(x.f) }));
    const flameSeen = fires.some((x) => x.v.ok) || this.cache.some((c) => c.label === 'fire' && c.verdict.ok);
    const smokes = features.filter((x) => x.d.label !== 'fire').map((x) => ({ ...x, v: judgeSmoke(x.f, x.d.score >= (this.thresholds.get(x.d.label) ?? 1), flameSeen) }));
    for (const x of [...fires, ...smokes]) {
      this.cache.push({ box: x.d.box, label: x.d.label, atMs: frame.timestamp, verdict: x.v });
      if (x.v.ok) this.stats.confirmed++;
      else this.stats.rejected++;
      this.log.debug({ label: x.d.label, score: Number(x.d.score.toFixed(3)), ok: x.v.ok, why: x.v.why }, 'burning check');
    }
  }
}
