/**
 * What one bench:throughput run measures and for how long: the quick mode (CI, ≈ 3–4 min) and the full mode
 * (the committed figures), and the constants every stage shares.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOUR_DEFAULTS } from '../../../src/config/schema.js';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Seconds between analyzed frames of one camera (the patrol profile: one frame per 5 s). */
export const INTERVAL_SEC = 5;
/** What the live run's config gives the detector (the config default). */
export const PIPELINE_THREADS = 1;

export interface Plan {
  mode: 'quick' | 'full';
  fixtures: number;
  /** Frames decoded per fixture (from its start); undefined = the whole file. */
  framesPerFixture: number | undefined;
  inference: { threads: number[]; batches: number[]; frames: number };
  scoring: { cameras: number; steps: number };
  dispatch: { messages: number };
  controlPlane: { cameras: number; prerollSteps: number; windowSec: number };
  /**
   * `nativeStreams`: the native row holds this many cameras open in the one process (the point of the in-process
   * client), against the camera farm's live mounts; the ffmpeg rows run `streams` processes on the GStreamer server.
   */
  ingest: { streams: number; nativeStreams: number; warmupSec: number; windowSec: number; decodeWindowSec: number };
  /**
   * `transport`: how the live run's cameras are received — native (the default for rtsp:// cameras: the in-process
   * client, cameras served by the camera farm) or ffmpeg (one ffmpeg per camera on the GStreamer load generator).
   */
  live: { ks: number[]; warmupSec: number; windowSec: number; budgetSec: number; transport: 'native' | 'ffmpeg' };
  /**
   * Tour mode: N camera-farm mounts toured with S visit slots (tour.maxVisits' default), each due every
   * revisitSec; the warm-up covers the first round, the window at least one revisit of every camera. Full: the
   * target itself (1000 cameras, 60 s). Quick: a smaller run at the same visits per second (340 every 20 s).
   * loopSec: the length of the farm's picture loop.
   */
  tour: { mounts: number; slots: number; revisitSec: number; warmupSec: number; windowSec: number; loopSec: number };
}

export function planFor(quick: boolean, maxStreams: number | undefined): Plan {
  const p: Plan = quick
    ? {
        mode: 'quick',
        fixtures: 99,
        framesPerFixture: 10,
        inference: { threads: [1, 2], batches: [1, 8], frames: 16 },
        scoring: { cameras: 1000, steps: 60 },
        dispatch: { messages: 200 },
        controlPlane: { cameras: 1000, prerollSteps: 48, windowSec: 15 },
        ingest: { streams: 4, nativeStreams: 40, warmupSec: 3, windowSec: 10, decodeWindowSec: 12 },
        live: { ks: [4, 8], warmupSec: 6, windowSec: 18, budgetSec: 100, transport: 'native' },
        tour: { mounts: 340, slots: TOUR_DEFAULTS.maxVisits, revisitSec: 20, warmupSec: 20, windowSec: 40, loopSec: 20 },
      }
    : {
        mode: 'full',
        fixtures: 99,
        framesPerFixture: undefined,
        inference: { threads: [1, 2], batches: [1, 4, 8, 16], frames: 48 },
        scoring: { cameras: 1000, steps: 120 },
        dispatch: { messages: 1000 },
        controlPlane: { cameras: 1000, prerollSteps: 60, windowSec: 60 },
        ingest: { streams: 8, nativeStreams: 100, warmupSec: 4, windowSec: 20, decodeWindowSec: 30 },
        live: { ks: [16, 32, 64, 96, 128, 192, 256], warmupSec: 6, windowSec: 30, budgetSec: 360, transport: 'native' },
        tour: { mounts: 1000, slots: TOUR_DEFAULTS.maxVisits, revisitSec: 60, warmupSec: 60, windowSec: 100, loopSec: 20 },
      };
  if (maxStreams !== undefined) p.live.ks = p.live.ks.filter((k) => k <= maxStreams);
  if (maxStreams !== undefined && !p.live.ks.includes(maxStreams) && (p.live.ks.length === 0 || maxStreams > p.live.ks.at(-1)!)) p.live.ks.push(maxStreams);
  return p;
}
