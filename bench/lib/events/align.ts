/**
 * Maps the wall-clock timestamps of a live (RTSP) run back to video time. Pure.
 *
 * A live camera stamps each frame with the wall clock when it comes out of its ffmpeg; the file time it
 * shows is unknown. What we know per camera:
 *  - T0: the wall time its feeder (`ffmpeg -re … -f rtp`) was spawned, i.e. before file time 0 was sent;
 *  - each analyzed frame's wall time t and stream PTS p (ms, from ffmpeg's showinfo on the client side).
 * Within one RTSP connection the PTS run with the file: p = file + K for a constant K (the server stamps
 * packets as they arrive, which `-re` paces with the file; the base is arbitrary, so K is unknown). With
 * elapsed e = t − T0 = file + latency: d = p − e = K − latency.
 *
 * The analyzed frames of a fixture are keyframes (decode: keyframe, GOP 50 at 25 fps), whose file times are
 * multiples of the GOP duration G = 2 s, so K ≡ p (mod G). And no frame can come out before the feeder sent
 * it (latency ≥ 0, T0 being taken before the spawn), so K ≥ max(d). K is the smallest value ≡ p (mod G)
 * above max(d) − tolerance: exact, provided the *fastest* frame of the connection came out within
 * G − tolerance (1.9 s) of being sent. And since the feeder stops before its loop ends, no frame can map past
 * the file's last keyframe: if one would, K moves up a GOP (so a connection that saw the end of the video is
 * exact whatever its latency). The latencies this implies are reported per camera. A connection whose PTS
 * are not on one grid falls back to K = max(d) (its fastest frame taken as latency 0).
 */

export interface ObservedFrame {
  wallMs: number;
  ptsMs: number;
}

export interface AlignOptions {
  /** Spacing of the analyzed frames' file times (GOP duration), ms. */
  gridMs: number;
  /** PTS residues (mod grid) within this many ms count as one grid (default 100); 80% of a connection's frames must share it. */
  gridToleranceMs?: number;
  /** A PTS step that differs from the wall-clock step by more than this starts a new connection (default 5000). */
  resyncMs?: number;
  /** Wall times at which the camera (re)connected: each starts a new segment (exact, from the source's status). */
  connectedAtMs?: readonly number[];
  /**
   * No frame can show a file time above this (the feeder was stopped before the end of its loop): a
   * connection whose frames would map beyond it had a slowest-case latency over a GOP, and K moves up a GOP.
   */
  maxFileMs?: number;
}

export interface Segment {
  firstWallMs: number;
  lastWallMs: number;
  frames: number;
  /** file time = pts − k (ms). */
  k: number;
  snapped: boolean;
}

export interface CameraAlignment {
  feederStartMs: number;
  segments: Segment[];
  /** Per analyzed frame: wall ms → video seconds. */
  videoSecByWall: Map<number, number>;
  /** t − T0 − file time, over all frames (ms). */
  latencyMs: { p50: number | null; p95: number | null; min: number | null; max: number | null };
  snapped: boolean;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function quant(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Splits frames (any order) into runs of one connection: PTS rising in step with the wall clock. */
export function splitSegments(frames: readonly ObservedFrame[], resyncMs = 5000): ObservedFrame[][] {
  const sorted = [...frames].sort((a, b) => a.wallMs - b.wallMs);
  const out: ObservedFrame[][] = [];
  let cur: ObservedFrame[] = [];
  for (const f of sorted) {
    const prev = cur[cur.length - 1];
    const breaks = prev !== undefined && (!Number.isFinite(f.ptsMs) || !Number.isFinite(prev.ptsMs) || f.ptsMs <= prev.ptsMs || Math.abs(f.ptsMs - prev.ptsMs - (f.wallMs - prev.wallMs)) > resyncMs);
    if (breaks) {
      out.push(cur);
      cur = [];
    }
    cur.push(f);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * The residue (mod grid) most PTS share, when at least `minShare` of them are within tolerance of it
 * (circularly); null otherwise. A stray frame off the grid (e.g. the first frame of the feeder's next loop)
 * does not spoil the rest.
 */
export function gridResidue(pts: readonly number[], gridMs: number, toleranceMs: number, minShare = 0.8): number | null {
  if (pts.length === 0) return null;
  const near = (a: number, b: number) => {
    const d = mod(a - b, gridMs);
    return Math.min(d, gridMs - d) <= toleranceMs;
  };
  let best: { r: number; n: number } | null = null;
  for (const p of pts) {
    const r = mod(p, gridMs);
    const n = pts.filter((q) => near(q, r)).length;
    if (!best || n > best.n) best = { r, n };
  }
  return best && best.n >= minShare * pts.length ? best.r : null;
}

/** Are (nearly) all PTS on one grid of `gridMs`? */
export function onGrid(pts: readonly number[], gridMs: number, toleranceMs: number, minShare = 1): boolean {
  return gridResidue(pts, gridMs, toleranceMs, minShare) !== null;
}

export function alignCamera(frames: readonly ObservedFrame[], feederStartMs: number, opts: AlignOptions): CameraAlignment {
  const G = opts.gridMs;
  const tol = opts.gridToleranceMs ?? 100;
  const segments: Segment[] = [];
  const videoSecByWall = new Map<number, number>();
  const latencies: number[] = [];
  const connects = [...(opts.connectedAtMs ?? [])].sort((a, b) => a - b);
  const connection = (w: number) => connects.filter((c) => c <= w).length;
  const byConnection = new Map<number, ObservedFrame[]>();
  for (const f of frames) byConnection.set(connection(f.wallMs), [...(byConnection.get(connection(f.wallMs)) ?? []), f]);
  const segs = [...byConnection.keys()].sort((a, b) => a - b).flatMap((c) => splitSegments(byConnection.get(c)!, opts.resyncMs));
  for (const seg of segs) {
    const finite = seg.every((f) => Number.isFinite(f.ptsMs));
    let k: number;
    let snapped = false;
    if (!finite) {
      // No PTS: elapsed wall time is the best guess (latency taken as 0).
      for (const f of seg) if (!videoSecByWall.has(f.wallMs)) videoSecByWall.set(f.wallMs, (f.wallMs - feederStartMs) / 1000);
      segments.push({ firstWallMs: seg[0]!.wallMs, lastWallMs: seg[seg.length - 1]!.wallMs, frames: seg.length, k: NaN, snapped: false });
      continue;
    }
    const dMax = Math.max(...seg.map((f) => f.ptsMs - (f.wallMs - feederStartMs)));
    const r = gridResidue(seg.map((f) => f.ptsMs), G, tol);
    if (r !== null) {
      // The smallest K ≡ pts (mod G) that leaves no frame with a negative latency (within the tolerance).
      const lo = dMax - tol;
      k = lo + mod(r - lo, G);
      const maxP = Math.max(...seg.map((f) => f.ptsMs));
      if (opts.maxFileMs !== undefined) while (maxP - k > opts.maxFileMs + tol) k += G;
      snapped = true;
    } else {
      k = dMax;
    }
    for (const f of seg) {
      let file = f.ptsMs - k;
      // Frames on the grid get exact keyframe times; a stray one keeps its own PTS offset.
      if (snapped && Math.abs(file - Math.round(file / G) * G) <= tol) file = Math.round(file / G) * G;
      // Frames of a burst can share a wall-clock ms; the scorer only scores the first of them.
      if (!videoSecByWall.has(f.wallMs)) videoSecByWall.set(f.wallMs, file / 1000);
      latencies.push(Math.round(f.wallMs - feederStartMs - file));
    }
    segments.push({ firstWallMs: seg[0]!.wallMs, lastWallMs: seg[seg.length - 1]!.wallMs, frames: seg.length, k, snapped });
  }
  latencies.sort((a, b) => a - b);
  return {
    feederStartMs,
    segments,
    videoSecByWall,
    latencyMs: { p50: quant(latencies, 0.5), p95: quant(latencies, 0.95), min: latencies[0] ?? null, max: latencies[latencies.length - 1] ?? null },
    snapped: segments.length > 0 && segments.every((s) => s.snapped),
  };
}

/**
 * Video seconds of a wall time on this camera: exact for an analyzed frame's timestamp (events carry those),
 * else the nearest analyzed frame plus the wall-clock difference, else elapsed since the feeder started.
 */
export function toVideoSec(a: CameraAlignment, wallMs: number): number {
  const exact = a.videoSecByWall.get(wallMs);
  if (exact !== undefined) return exact;
  let best: number | undefined;
  for (const w of a.videoSecByWall.keys()) if (best === undefined || Math.abs(w - wallMs) < Math.abs(best - wallMs)) best = w;
  if (best === undefined) return (wallMs - a.feederStartMs) / 1000;
  return a.videoSecByWall.get(best)! + (wallMs - best) / 1000;
}
