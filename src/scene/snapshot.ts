import { z } from 'zod';
import { F } from './features.js';
import type { SceneState } from './model.js';

/**
 * A camera's scene model as bytes, so a restart (or the next worker) continues from the same reference
 * instead of taking the view as it is as a new baseline — which would silently end an open event on a pile
 * and amnesty whatever was dumped while Patrol was down. Kept: the reference, the fast model, how long each
 * cell has stood still, the tracked regions and the reference picture (~200 KB at 416²). Not kept: per-frame
 * scratch (the latest features, masks, the frozen-feed check), which the next frame rebuilds.
 *
 * Layout: "PSC1", u32 header length, JSON header, then the arrays in header order, each 8-byte aligned.
 */
const MAGIC = 'PSC1';

/**
 * Keeps each camera's scene model across restarts and lease moves: loaded once when the camera is added,
 * saved every `saveEveryMs` of analysis time, when an event changes, and when the camera is removed.
 */
export interface ScenePort {
  readonly saveEveryMs: number;
  load(cameraId: string): SceneState | undefined;
  save(cameraId: string, state: SceneState): void;
}

/** A saved scene older than this is a different hour's light: the camera starts a new baseline instead. */
export const MAX_SCENE_RESUME_GAP_MS = 30 * 60_000;

const TrackSchema = z.object({
  id: z.number(),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  since: z.number(),
  lastSeenAt: z.number(),
  attendedMs: z.number(),
  lastAttendedAt: z.number().nullable(),
  nearest: z.number().nullable().transform((v) => v ?? Infinity),
  labels: z.record(z.string(), z.number()),
  frames: z.number(),
});

const HeaderSchema = z.object({
  grid: z.object({ cols: z.number().int().positive(), rows: z.number().int().positive(), contentWidth: z.number().positive(), contentHeight: z.number().positive() }),
  lastAt: z.number(),
  referencedAt: z.number(),
  frames: z.number(),
  nextTrackId: z.number(),
  tracks: z.array(TrackSchema),
  picture: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
});

const ARRAYS = ['ref', 'fast', 'staticMs', 'refValid', 'picture'] as const;

function align8(n: number): number {
  return (n + 7) & ~7;
}

export function encodeScene(s: SceneState): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      grid: s.grid,
      lastAt: s.lastAt,
      referencedAt: s.referencedAt,
      frames: s.frames,
      nextTrackId: s.nextTrackId,
      // JSON has no Infinity: "never came near" travels as null.
      tracks: s.tracks.map((t) => ({ ...t, nearest: Number.isFinite(t.nearest) ? t.nearest : null })),
      picture: { width: s.picture.width, height: s.picture.height },
    }),
  );
  const parts: Uint8Array[] = [s.ref, s.fast, s.staticMs, s.refValid, s.picture.data].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const start = align8(8 + header.length);
  const total = parts.reduce((n, p) => align8(n + p.byteLength), start);
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  let at = start;
  for (const p of parts) {
    out.set(p, at);
    at = align8(at + p.byteLength);
  }
  return out;
}

/** The state back, or a reason it cannot be used (then the camera starts a new baseline). */
export function decodeScene(buf: Buffer): { state: SceneState } | { error: string } {
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return { error: 'not a scene snapshot (bad magic)' };
  const len = buf.readUInt32LE(4);
  if (8 + len > buf.length) return { error: 'truncated header' };
  let header: z.infer<typeof HeaderSchema>;
  try {
    const parsed = HeaderSchema.safeParse(JSON.parse(buf.toString('utf8', 8, 8 + len)));
    if (!parsed.success) return { error: `bad header: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
    header = parsed.data;
  } catch {
    return { error: 'bad header: not JSON' };
  }
  const n = header.grid.cols * header.grid.rows;
  const sizes = { ref: n * F * 4, fast: n * F * 4, staticMs: n * 4, refValid: n, picture: header.picture.width * header.picture.height * 3 };
  let at = align8(8 + len);
  const slices = {} as Record<(typeof ARRAYS)[number], Uint8Array>;
  for (const name of ARRAYS) {
    const size = sizes[name];
    if (at + size > buf.length) return { error: `truncated at ${name}` };
    // Copied out: the typed arrays must be aligned and must not keep the whole file buffer alive.
    slices[name] = new Uint8Array(buf.subarray(at, at + size));
    at = align8(at + size);
  }
  const f32 = (u: Uint8Array) => new Float32Array(u.buffer, u.byteOffset, u.byteLength / 4);
  const ref = f32(slices.ref);
  const fast = f32(slices.fast);
  return {
    state: {
      grid: header.grid,
      ref,
      fast,
      cur: fast.slice(),
      prevLuma: new Float32Array(n),
      staticMs: f32(slices.staticMs),
      maskUntil: new Float64Array(n),
      refValid: slices.refValid,
      lastAt: header.lastAt,
      referencedAt: header.referencedAt,
      frames: header.frames,
      tracks: header.tracks,
      nextTrackId: header.nextTrackId,
      picture: { width: header.picture.width, height: header.picture.height, data: slices.picture },
    },
  };
}
