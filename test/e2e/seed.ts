/**
 * Seeds a review store with events the way the pipeline delivers them: evidence files written under the
 * storage dir with their SHA-256, then DispatchMessages (opened, updated, ended) applied to the store.
 *
 * The lead will swap `seedEvents` for events the real pipeline produced from a fixture; everything that
 * uses it only needs `SeededEvent` (the event plus the messages that carried it).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { jobIdFor } from '../../src/dispatch/queue.js';
import { EVIDENCE_FILES, type Evidence, type PatrolEvent } from '../../src/contracts/event.js';
import type { ViolationType } from '../../src/contracts/violation.js';

export interface MessageSink {
  apply(msg: DispatchMessage): unknown;
}

export interface SeededEvent {
  event: PatrolEvent;
  messages: DispatchMessage[];
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Writes a file under the storage dir and records its hash in `evidence`, like the evidence writer. */
export function writeEvidence(storageDir: string, evidence: Evidence, key: (typeof EVIDENCE_FILES)[number], rel: string, bytes: Buffer): void {
  const abs = join(storageDir, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, bytes);
  evidence[key] = rel;
  evidence.sha256[rel] = sha256(bytes);
}

const TYPE_COLORS: Record<ViolationType, string> = { stall: '#d98b2b', dumping: '#6d7f3a', burning: '#d2402a' };

/** A street scene as JPEG: road, kerb, the offending object where `box` says, and a camera timestamp. */
export async function sceneJpeg(type: ViolationType, box: readonly [number, number, number, number], at: number, variant = 0, width = 960, height = 540): Promise<Buffer> {
  const [x1, y1, x2, y2] = [box[0] * width, box[1] * height, box[2] * width, box[3] * height];
  const ts = new Date(at).toISOString().replace('T', ' ').slice(0, 19);
  const obj =
    type === 'burning'
      ? `<ellipse cx="${(x1 + x2) / 2}" cy="${(y1 + y2) / 2 + 10}" rx="${(x2 - x1) / 2}" ry="${(y2 - y1) / 3}" fill="#e0551f"/>
         <ellipse cx="${(x1 + x2) / 2}" cy="${(y1 + y2) / 2 - 15}" rx="${(x2 - x1) / 3}" ry="${(y2 - y1) / 2.5}" fill="#f4b13a" opacity="0.85"/>
         <ellipse cx="${(x1 + x2) / 2 + 20}" cy="${y1 - 30}" rx="${(x2 - x1) / 1.5}" ry="40" fill="#777" opacity="0.5"/>`
      : type === 'stall'
        ? `<rect x="${x1}" y="${y1 + (y2 - y1) * 0.35}" width="${x2 - x1}" height="${(y2 - y1) * 0.65}" fill="#8a5a2b"/>
           <polygon points="${x1 - 15},${y1 + (y2 - y1) * 0.38} ${(x1 + x2) / 2},${y1} ${x2 + 15},${y1 + (y2 - y1) * 0.38}" fill="${variant % 2 ? '#2a7fd2' : '#c83b3b'}"/>
           <circle cx="${x1 + 25}" cy="${y1 + (y2 - y1) * 0.5}" r="9" fill="#f2d13a"/><circle cx="${x1 + 50}" cy="${y1 + (y2 - y1) * 0.5}" r="9" fill="#e97c2f"/>`
        : `<ellipse cx="${(x1 + x2) / 2}" cy="${(y1 + y2) / 2 + 10}" rx="${(x2 - x1) / 2}" ry="${(y2 - y1) / 2.5}" fill="#3b3f2f"/>
           <rect x="${x1 + 10}" y="${y1 + 10}" width="${(x2 - x1) / 3}" height="${(y2 - y1) / 2}" fill="#e9e6da" transform="rotate(12 ${x1} ${y1})"/>
           <rect x="${x1 + (x2 - x1) / 2}" y="${y1 + 20}" width="${(x2 - x1) / 3}" height="${(y2 - y1) / 2.5}" fill="#4a6fa5"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#8aa2b8"/><stop offset="1" stop-color="#c9d3da"/></linearGradient></defs>
    <rect width="${width}" height="${height * 0.35}" fill="url(#sky)"/>
    <rect y="${height * 0.18}" width="${width * 0.3}" height="${height * 0.2}" fill="#6b6f78"/>
    <rect x="${width * 0.62}" y="${height * 0.12}" width="${width * 0.38}" height="${height * 0.26}" fill="#7c7468"/>
    <rect y="${height * 0.35}" width="${width}" height="${height * 0.2}" fill="#a9a59a"/>
    <rect y="${height * 0.55}" width="${width}" height="${height * 0.45}" fill="#4d5055"/>
    <rect y="${height * 0.55}" width="${width}" height="6" fill="#d8d4c8"/>
    ${[0, 1, 2, 3, 4, 5].map((i) => `<rect x="${i * width / 5 + 30}" y="${height * 0.78}" width="${width / 12}" height="6" fill="#e8e2c0"/>`).join('')}
    ${obj}
    <rect x="0" y="0" width="${width}" height="30" fill="#000" opacity="0.45"/>
    <text x="12" y="21" font-family="monospace" font-size="16" fill="#fff">${ts}  CAM</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 82 }).toBuffer();
}

/** A short H.264 MP4 that Chromium plays (yuv420p, faststart), made once and reused. */
export function testClip(cacheDir: string, seconds = 4): Buffer {
  const file = join(cacheDir, `testsrc2-${seconds}s.mp4`);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '25', '-movflags', '+faststart',
      file,
    ]);
  }
  return readFileSync(file);
}

export interface SeedSpec {
  id: string;
  cameraId: string;
  zoneId: string;
  type: ViolationType;
  /** Minutes before `now` that it was first seen. */
  agoMin: number;
  peakScore: number;
  withClip?: boolean;
  ended?: boolean;
}

export const DEFAULT_SPECS: SeedSpec[] = [
  { id: 'evt-stall-0001', cameraId: 'cam-east-gate', zoneId: 'sidewalk-north', type: 'stall', agoMin: 42, peakScore: 0.91, withClip: true },
  { id: 'evt-dump-0002', cameraId: 'cam-river-road', zoneId: 'riverbank', type: 'dumping', agoMin: 31, peakScore: 0.84, withClip: true },
  { id: 'evt-burn-0003', cameraId: 'cam-river-road', zoneId: 'vacant-lot', type: 'burning', agoMin: 12, peakScore: 0.77, withClip: true, ended: true },
  { id: 'evt-stall-0004', cameraId: 'cam-market-st', zoneId: 'crossing', type: 'stall', agoMin: 6, peakScore: 0.66 },
];

const BOXES: Record<ViolationType, [number, number, number, number]> = {
  stall: [0.36, 0.42, 0.58, 0.8],
  dumping: [0.12, 0.6, 0.34, 0.86],
  burning: [0.55, 0.52, 0.74, 0.84],
};
const LABELS: Record<ViolationType, string> = { stall: 'stall', dumping: 'garbage_pile', burning: 'fire' };

/** One event with real evidence files, and the messages the pipeline would have published for it. */
export async function makeSeededEvent(storageDir: string, spec: SeedSpec, now: number, clipCache = join(storageDir, '.cache')): Promise<SeededEvent> {
  const startedAt = now - spec.agoMin * 60_000;
  const confirmedAt = startedAt + (spec.type === 'burning' ? 8_000 : 120_000);
  const lastSeenAt = Math.min(now - 20_000, confirmedAt + 5 * 60_000);
  const box = BOXES[spec.type];
  const evidence: Evidence = { sha256: {} };
  const dir = `events/${new Date(startedAt).toISOString().slice(0, 10)}/${spec.id}`;
  // The seeded scene has no boxes drawn in, so it serves as both; the UI draws the boxes over `frame`.
  const scene = await sceneJpeg(spec.type, box, confirmedAt, 1);
  writeEvidence(storageDir, evidence, 'snapshot', `${dir}/snapshot.jpg`, scene);
  writeEvidence(storageDir, evidence, 'frame', `${dir}/frame.jpg`, scene);
  if (spec.type !== 'burning') {
    writeEvidence(storageDir, evidence, 'firstSeen', `${dir}/first-seen.jpg`, await sceneJpeg(spec.type, box, startedAt, 0));
    writeEvidence(storageDir, evidence, 'confirmed', `${dir}/confirmed.jpg`, await sceneJpeg(spec.type, box, confirmedAt, 1));
    writeEvidence(storageDir, evidence, 'latest', `${dir}/latest.jpg`, await sceneJpeg(spec.type, box, lastSeenAt, 2));
  }
  // A dumped pile is the scene model's kind of event: it carries the before/after pair (empty zone | now).
  if (spec.type === 'dumping') {
    const before = await sceneJpeg(spec.type, [box[0], box[1], box[0], box[1]], startedAt - 60_000, 0, 480, 270);
    const after = await sceneJpeg(spec.type, box, confirmedAt, 1, 480, 270);
    const pair = await sharp({ create: { width: 964, height: 270, channels: 3, background: '#ffffff' } })
      .composite([
        { input: before, left: 0, top: 0 },
        { input: after, left: 484, top: 0 },
      ])
      .jpeg()
      .toBuffer();
    writeEvidence(storageDir, evidence, 'beforeAfter', `${dir}/before-after.jpg`, pair);
  }
  if (spec.withClip) writeEvidence(storageDir, evidence, 'clip', `${dir}/clip.mp4`, testClip(clipCache));
  const event: PatrolEvent = {
    id: spec.id,
    cameraId: spec.cameraId,
    zoneId: spec.zoneId,
    type: spec.type,
    startedAt,
    confirmedAt,
    lastSeenAt,
    endedAt: spec.ended ? lastSeenAt + 60_000 : null,
    peakScore: spec.peakScore,
    peakAt: confirmedAt,
    bestBoxes: [
      { classId: 0, label: LABELS[spec.type], score: spec.peakScore, box, violation: spec.type },
      ...(spec.type === 'stall' ? [{ classId: 1, label: 'person', score: 0.72, box: [box[2] + 0.02, box[1] + 0.05, box[2] + 0.08, box[3]] as [number, number, number, number] }] : []),
    ],
    model: 'yolox-nano-coco@stand-in',
    evidence,
  };
  const opened: PatrolEvent = { ...event, lastSeenAt: confirmedAt, endedAt: null, evidence: { ...evidence, latest: undefined, clip: undefined } };
  delete opened.evidence.latest;
  delete opened.evidence.clip;
  const messages: DispatchMessage[] = [
    { jobId: jobIdFor('opened', spec.id), kind: 'opened', event: opened, publishedAt: confirmedAt },
    { jobId: jobIdFor('updated', spec.id, 1), kind: 'updated', event: { ...event, endedAt: null }, publishedAt: lastSeenAt },
  ];
  if (spec.ended) messages.push({ jobId: jobIdFor('ended', spec.id), kind: 'ended', event, publishedAt: event.endedAt! });
  return { event, messages };
}

/** Writes evidence for each spec and applies its messages to `sink` (the store). */
export async function seedEvents(sink: MessageSink, storageDir: string, opts: { now?: number; specs?: SeedSpec[] } = {}): Promise<SeededEvent[]> {
  const now = opts.now ?? Date.now();
  const out: SeededEvent[] = [];
  for (const spec of opts.specs ?? DEFAULT_SPECS) {
    const seeded = await makeSeededEvent(storageDir, spec, now);
    for (const m of seeded.messages) sink.apply(m);
    out.push(seeded);
  }
  return out;
}

/** Copies a file into another place under the storage dir (for tests that need a second copy). */
export function copyInto(storageDir: string, fromRel: string, toRel: string): void {
  mkdirSync(dirname(join(storageDir, toRel)), { recursive: true });
  copyFileSync(join(storageDir, fromRel), join(storageDir, toRel));
}
