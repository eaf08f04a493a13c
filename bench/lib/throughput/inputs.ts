/**
 * The bench's inputs: the clip the RTSP load generator streams, the fixture videos, and the detector's own
 * output on their frames (the recorded detections the scoring and control-plane stages replay).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Detections } from '../../../src/contracts/detections.js';
import type { Frame } from '../../../src/contracts/frame.js';
import type { FfmpegBinary } from '../../../src/decode/ffmpeg-path.js';
import { Detector, type DetectorInfo } from '../../../src/detect/detector.js';
import { PatrolError } from '../../../src/errors.js';
import { decodeFixtureFrames } from './fixture-frames.js';
import { INTERVAL_SEC, REPO, type Plan } from './plan.js';
import type { StageProgress } from './stage-progress.js';

export interface FixtureRecording {
  name: string;
  detections: Detections[];
}

export interface ClipInfo {
  file: string;
  width: number;
  height: number;
  fps: number;
  gopFrames: number;
  kbps: number;
  durationSec: number;
}

export function probeClip(file: string): ClipInfo {
  const probe = spawnText('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate:format=duration,bit_rate', '-of', 'json', file]);
  const j = JSON.parse(probe) as { streams: Array<{ width: number; height: number; r_frame_rate: string }>; format: { duration: string; bit_rate: string } };
  const s = j.streams[0]!;
  const [num, den] = s.r_frame_rate.split('/').map(Number);
  // GOP: distance between the first two keyframes (packet flags), over the first 8 s.
  const keys = spawnText('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+8', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file])
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l, k) => (l.includes('K') ? k : -1))
    .filter((k) => k >= 0);
  return {
    file,
    width: s.width,
    height: s.height,
    fps: num! / (den || 1),
    gopFrames: keys.length >= 2 ? keys[1]! - keys[0]! : Number.NaN,
    kbps: Number(j.format.bit_rate) / 1000,
    durationSec: Number(j.format.duration),
  };
}

function spawnText(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The clip the RTSP server streams, copied to a private folder so a fixture regeneration cannot disturb a run. */
export async function prepareClip(arg: string | undefined, ffmpeg: FfmpegBinary, tmp: string): Promise<string> {
  const candidate = arg ?? path.join(REPO, 'fixtures/generated/stall_setup.ts');
  const dst = path.join(tmp, 'patrol-profile.ts');
  if (existsSync(candidate)) {
    copyFileSync(candidate, dst);
    return dst;
  }
  if (arg) throw new PatrolError(`--clip ${arg} does not exist.`, 'Pass an MPEG-TS file, or leave --clip out.');
  // No fixtures generated: encode a patrol-profile clip (moving test pattern) with the same settings.
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=704x576:rate=25', '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '0', '-b:v', '512k', '-maxrate', '512k', '-bufsize', '1M', '-f', 'mpegts', dst];
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ffmpeg.path, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code} generating the clip`))));
  });
  return dst;
}

/**
 * Fixture videos whose detections the control plane replays: the patrol-profile scene first. Each replayed
 * camera watches the whole picture for every violation type (the default camera config), so every
 * violation-class detection the model makes counts — more events than zoned cameras, i.e. a conservative load.
 */
export function fixtureList(limit: number, clip: string): Array<{ name: string; file: string }> {
  const dir = path.join(REPO, 'fixtures/generated');
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^[A-Za-z0-9_-]+\.ts$/.test(f))
        .map((f) => f.replace(/\.ts$/, ''))
        .sort((a, b) => (a === 'stall_setup' ? -1 : b === 'stall_setup' ? 1 : a.localeCompare(b)))
    : [];
  const out = names.slice(0, limit).map((name) => ({ name, file: path.join(dir, `${name}.ts`) }));
  return out.length ? out : [{ name: path.basename(clip), file: clip }];
}

export interface RecordedFixtures {
  info: DetectorInfo;
  /** The detector's input pixel format (its manifest's channel order). */
  pixelFormat: 'rgb24' | 'bgr24';
  recs: FixtureRecording[];
  /** Up to 24 frames of each fixture, as the detector gets them: the inference sweep's input. */
  allFrames: Frame[];
}

/** Fixture frames as the detector gets them, and the detector's own output on them (2 threads, the model's batch). */
export async function recordFixtures(model: string, fixtures: Array<{ name: string; file: string }>, plan: Plan, ffmpeg: FfmpegBinary, progress: StageProgress): Promise<RecordedFixtures> {
  const detector = await Detector.load(model, { threads: 2 });
  const info = detector.info;
  const pixelFormat = detector.manifest.input.channelOrder === 'BGR' ? 'bgr24' : 'rgb24';
  const recs: FixtureRecording[] = [];
  const allFrames: Frame[] = [];
  for (const [k, f] of fixtures.entries()) {
    progress.update(k / (fixtures.length + 1), `decoding and detecting ${f.name}`);
    let frames: Frame[];
    try {
      frames = await decodeFixtureFrames(f.file, { width: info.inputWidth, height: info.inputHeight, pixelFormat, intervalSec: INTERVAL_SEC, ffmpeg, limit: plan.framesPerFixture });
    } catch (err) {
      progress.note(`skipping fixture ${f.name}: ${(err as Error).message}`);
      continue;
    }
    if (frames.length === 0) continue;
    const dets = await detector.detect(frames);
    recs.push({ name: f.name, detections: dets });
    allFrames.push(...frames.slice(0, 24));
  }
  await detector.release();
  if (recs.length === 0) throw new PatrolError('No frames could be decoded from the fixtures or the clip.', 'Run `npm run fixtures -- --quick`, or pass --clip FILE.ts.');
  return { info, pixelFormat, recs, allFrames };
}
