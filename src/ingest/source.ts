import type { CameraConfig } from '../config/schema.js';
import type { Frame } from '../contracts/frame.js';
import type { SourceStatus } from '../contracts/camera-status.js';
import type { ClipSpanSource } from '../contracts/clip-span.js';
import type { ReadPacer } from './rtsp/read-pacer.js';
import type { KeyframeDecoderPool } from '../decode/decoder-pool.js';
import type { PixelFormat } from '../decode/ffmpeg-args.js';
import type { FfmpegBinary } from '../decode/ffmpeg-path.js';
import type { BackoffOptions } from './backoff.js';
import type { RingConfig } from './ring-writer.js';
import type { Log } from '../log/log.js';
import type { TourRunner } from './tour-runner.js';

/*
 * What every camera source is and takes, apart from the implementations (camera-source.ts: one ffmpeg per
 * camera; native-source.ts: the in-process RTSP client and the shared decoder pool), so both can name it.
 */

/** The camera fields a source uses (a full CameraConfig fits). */
export type CameraSourceConfig = Pick<CameraConfig, 'id' | 'url' | 'loop' | 'intervalSec' | 'decode'> & Partial<Pick<CameraConfig, 'transport' | 'tour' | 'rtspTransport'>>;

export interface CameraSourceOptions {
  /** Detector input size: frames are letterboxed to exactly this. */
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  logger?: Log;
  /** A specific ffmpeg binary; default: resolveFfmpeg() (FFMPEG_PATH, PATH, then the npm package). */
  ffmpegPath?: string;
  /** An already-resolved binary: start 1000 cameras without probing ffmpeg 1000 times. */
  ffmpeg?: FfmpegBinary;
  /** Wall clock, epoch ms (injectable for tests). */
  clock?: () => number;
  /** Uniform [0,1) for backoff jitter. */
  random?: () => number;
  /** Folder that relative `file://` paths resolve against (the config file's folder). Default: cwd. */
  baseDir?: string;
  /**
   * File sources: read at the native frame rate and stamp frames with the wall clock (a stand-in live
   * camera). Default: `camera.loop`. False = as fast as possible, timestamps from the file, back-pressure
   * instead of drops (`patrol analyze`). RTSP is always real time.
   */
  realtime?: boolean;
  /** Analyze mode: epoch ms of the file's pts 0. Default: the container's creation_time, else 0. */
  startTimeMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** No frame for this long (connecting or live) → kill ffmpeg and reconnect. Default max(20 s, 3 × interval). */
  watchdogMs?: number;
  /**
   * RTSP socket I/O timeout handed to ffmpeg; with transport native, the in-process session's connect, request
   * and no-media timeout (a stream that stops, or sends only garbage, ends its session after this long; the
   * supervisor's watchdog is max(this, 5 s) without an access unit). Default 10 s.
   */
  socketTimeoutMs?: number;
  /**
   * RTSP: how long ffmpeg reads before it starts decoding. ffmpeg's 5 s default makes a (re)connect take
   * ≈ 6 s here; 1 s takes ≈ 3 s. Keep it at least one GOP for cameras whose SDP lacks the H.264 parameter
   * sets (they only come in-band with a keyframe), or those cameras never start. Default: ffmpeg's.
   */
  analyzeDurationMs?: number;
  /** Live at least this long before a failure → the backoff starts again from the base delay. Default 30 s. */
  stableMs?: number;
  /** Frames buffered per `frames()` iterator. Default 2. */
  maxBuffered?: number;
  /**
   * Also keep the last `seconds` of the camera's compressed video in a ring of segments under `dir`
   * (`ringDirFor(storage, cameraId)`), written by this same ffmpeg as a stream copy, for evidence clips
   * (src/evidence/clip-ring.ts, clip-recorder.ts). Real-time sources only: ignored, with a warning, for a file
   * read as fast as possible. Default: off. transport native writes no ring folder: see `packetRing`.
   */
  ring?: RingConfig;
  /**
   * transport native: keep the camera's last `seconds` of compressed video in memory (at most `maxBytes`,
   * default DEFAULT_PACKET_RING_BYTES) as the clip pre-roll; the source's `clipSpans` hands spans of it,
   * with their post-roll, to the evidence clip recorder. Default: off.
   */
  packetRing?: { seconds: number; maxBytes?: number };
  /**
   * transport native: the process's shared keyframe decoders (its size and pixel format must be this
   * source's). Default: a pool of the source's own, stopped with it.
   */
  decoderPool?: KeyframeDecoderPool;
  /**
   * transport native: the process's read pacer, which reads every held-open camera's socket in one batch
   * every 100 ms (rtsp/read-pacer.ts). Default: one of the source's own (same pacing, its own timer and read
   * buffer).
   */
  readPacer?: ReadPacer;
  /**
   * Toured cameras (cameras[].tour): the process's tour, whose visit slots all toured cameras share (its pool
   * is their decoder pool). Default: a tour of the camera's own, one visit at a time, stopped with it.
   */
  tour?: TourRunner;
}

export type FrameListener = (frame: Frame) => void | Promise<unknown>;
export type StatusListener = (status: SourceStatus) => void;

/**
 * One camera, supervised: it reconnects with capped, jittered exponential backoff and reports every state
 * change. One bad camera cannot disturb another.
 */
export interface CameraSource {
  readonly cameraId: string;
  /** Current state (a copy). */
  readonly status: SourceStatus;
  /** pid of the camera's own ffmpeg, if any (for CPU and memory measurement); native sources have none. */
  readonly pid: number | undefined;
  /** transport native with `packetRing`: where its evidence clips come from. */
  readonly clipSpans?: ClipSpanSource;
  /** Resolves when the source is done for good: stop(), or the end of a non-looping file. */
  readonly ended: Promise<void>;
  start(): void;
  /** Kills ffmpeg (SIGTERM, then SIGKILL after 2 s), cancels retries, ends all iterators. */
  stop(): Promise<void>;
  /**
   * Every frame, as it arrives. A returned promise is awaited before more is read only when the source
   * is not real time (analyze); live sources never wait for a slow consumer.
   */
  onFrame(listener: FrameListener): () => void;
  onStatus(listener: StatusListener): () => void;
  /** The same frames as an async iterator; `break` unsubscribes. */
  frames(): AsyncIterableIterator<Frame>;
  /**
   * Toured cameras only: hold the camera open (a candidate or an open event is on it) or return it to the
   * tour. The pipeline calls it after every analyzed frame of the camera.
   */
  setHeld?(held: boolean): void;
}
