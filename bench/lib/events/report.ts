import type { ViolationType } from '../../../src/contracts/violation.js';
import type { Finding, ObservedHits } from './diagnose.js';
import type { EventCheck } from './targets.js';
import type { EventsScore, SceneTruth } from './score.js';

/** Everything a bench:events report shows; also the shape of events.json (plus `frames`). */
export interface EventsReport {
  schema: 'patrol-bench-events/1';
  generatedAt: string;
  mode: 'rtsp' | 'file';
  set: string;
  config: string;
  model: { name: string; version: string; manifest: string };
  rules: Record<ViolationType, { dwellSec: number; hits: number; window: number; endAfterSec: number; cooldownSec: number }>;
  scenes: SceneTruth[];
  skipped: string[];
  score: EventsScore;
  checks: EventCheck[];
  findings: Finding[];
  alignment: Array<{ cameraId: string; feederStartMs: number; warmupFrames: number; durationSec: number; segments: number; snapped: boolean; latencyP50Ms: number | null; latencyP95Ms: number | null; firstVideoSec: number | null; lastVideoSec: number | null }>;
  cameras: Array<{ cameraId: string; state: string; frames: number; opened: number; ended: number; reason?: string }>;
  dispatched: { opened: number; ended: number; updated: number };
  loop: { framesAnalyzed: number; inferenceMs: number; errors: number };
  wallSec: number;
  environment: string[];
}

const f2 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(2));
const f1 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));
const mark = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');
const sec = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${Number(v.toFixed(2))}`);

/** Per-scene detection summary: frames analyzed, frames with in-zone hits per type, labels seen. */
export function detectionSummary(scenes: readonly SceneTruth[], frames: readonly ObservedHits[]): Array<{ scene: string; frames: number; hits: Partial<Record<ViolationType, number>>; labels: string }> {
  return scenes.map((s) => {
    const fr = frames.filter((f) => f.cameraId === s.name);
    const hits: Partial<Record<ViolationType, number>> = {};
    const labelFrames = new Map<string, { n: number; best: number }>();
    for (const f of fr) {
      for (const [t, h] of Object.entries(f.zoneHits)) if (h) hits[t as ViolationType] = (hits[t as ViolationType] ?? 0) + 1;
      for (const [l, sc] of Object.entries(f.labels)) {
        const cur = labelFrames.get(l) ?? { n: 0, best: 0 };
        labelFrames.set(l, { n: cur.n + 1, best: Math.max(cur.best, sc) });
      }
    }
    const labels = [...labelFrames.entries()]
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, 6)
      .map(([l, v]) => `${l} ${v.n} (≤${v.best.toFixed(2)})`)
      .join(', ');
    return { scene: s.name, frames: fr.length, hits, labels: labels || '—' };
  });
}

/** The markdown report. Pure. */
export function eventsMarkdown(r: EventsReport, frames: readonly ObservedHits[], svgFile: string): string {
  const L: string[] = [];
  const s = r.score;
  const negHours = s.negative.cameraHours;
  const videoSec = r.scenes.reduce((a, x) => a + x.durationSec, 0);
  L.push(`# bench:events — ${r.model.name} ${r.model.version}, ${r.mode} mode, ${r.set}`, '');
  L.push(
    `The production pipeline (\`startPipeline\`: camera sources → mailbox → batched detector → per-camera scorer → evidence → dispatch queue) ` +
      (r.mode === 'rtsp'
        ? 'in **live** mode, each fixture camera served by the real RTSP server (support/rtsp-server.py, one mount per fixture `.ts`, fed in real time), for one loop of each video. Wall-clock times are mapped back to video time per camera (see *Time alignment*).'
        : 'in **once** mode over the fixture `.mp4` files at full speed, with file timestamps as video time.'),
    '',
  );
  L.push(`- Model: \`${r.model.manifest}\` (${r.model.name} ${r.model.version})`);
  L.push(`- Config: \`${r.config}\` — ${r.scenes.length} scene(s), ${Math.round(videoSec)} s of video, ${f2(negHours)} camera-hours of must-NOT-alert scenes`);
  L.push(`- Run: ${Math.round(r.wallSec)} s wall, ${r.loop.framesAnalyzed} frames analyzed (${r.loop.framesAnalyzed ? f1(r.loop.inferenceMs / r.loop.framesAnalyzed) : '—'} ms inference per frame), ${r.loop.errors} analysis errors; dispatch queue delivered ${r.dispatched.opened} opened / ${r.dispatched.ended} ended / ${r.dispatched.updated} updated`);
  for (const e of r.environment) L.push(`- ${e}`);
  if (r.skipped.length) L.push(`- Skipped: ${r.skipped.join('; ')}`);
  L.push('', '| rule | dwell s | K of M | end after s | cooldown s |', '|---|---:|---:|---:|---:|');
  for (const [t, x] of Object.entries(r.rules)) L.push(`| ${t} | ${x.dwellSec} | ${x.hits} of ${x.window} | ${x.endAfterSec} | ${x.cooldownSec} |`);

  L.push('', '## Per violation type', '');
  L.push('| type | incidents | detected | events | false | duplicates | precision | recall | F1 | dup / incident | TTD p50 s | TTD p95 s | false / camera-h (negatives) |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of s.types) {
    L.push(
      `| ${t.type} | ${t.incidents} | ${t.detected} | ${t.events} | ${t.falseEvents} | ${t.duplicates} | ${f2(t.precision)} | ${f2(t.recall)} | ${f2(t.f1)} | ${f2(t.duplicatesPerIncident)} | ${f1(t.ttdSec.p50)} | ${f1(t.ttdSec.p95)} | ${t.negative.cameraHours > 0 ? `${f1(t.negative.perCameraHour)} (${t.negative.events} in ${f2(t.negative.cameraHours)} h)` : '—'} |`,
    );
  }
  L.push('');
  L.push(
    'TTD = time to detect after the dwell rule could first be met: confirmedAt − (truth start + dwellSec) of the first event of an incident (nearest-rank percentiles). ' +
      'Precision counts duplicates as matched (they are counted separately); "false" events match no incident.',
  );

  L.push('', '## Targets (bench/targets.json `events`)', '');
  L.push('| check | value | target | result | note |', '|---|---:|---|---|---|');
  for (const c of r.checks) L.push(`| ${c.what} | ${c.value === null ? '—' : Number(c.value.toFixed(3))} | ${c.target} | ${mark(c.ok)} | ${c.note ?? ''} |`);

  L.push('', '## What limits each gap', '');
  if (r.findings.length === 0) L.push('No gap: every incident got exactly one event in time, and nothing else alerted.');
  else {
    L.push('| scene | type | gap | limited by | detail |', '|---|---|---|---|---|');
    for (const f of r.findings) L.push(`| ${f.scene} | ${f.type} | ${f.kind} | **${f.limitedBy}** | ${f.detail.replace(/\|/g, '\\|')} |`);
  }

  L.push('', '## Incidents', '');
  L.push('| scene | type | zone | truth s | events | TTD s |', '|---|---|---|---|---|---:|');
  for (const i of s.incidents) L.push(`| ${i.cameraId} | ${i.type} | ${i.zoneId ?? 'any'} | ${i.startSec}–${i.endSec} | ${i.eventIds.length ? i.eventIds.map((x) => `\`${x}\``).join(', ') : '**none**'} | ${f1(i.ttdSec)} |`);

  L.push('', '## Events', '');
  if (s.events.length === 0) L.push('No event was raised.');
  else {
    L.push('| scene | type | zone | started s | confirmed s | last seen / ended s | role | labels | peak |', '|---|---|---|---:|---:|---:|---|---|---:|');
    for (const e of s.events) {
      const ev = e.event;
      L.push(
        `| ${ev.cameraId}${e.mustNotAlertScene ? ' (must NOT alert)' : ''} | ${ev.type} | ${ev.zoneId} | ${sec(ev.startSec)} | ${sec(ev.confirmedSec)} | ${ev.endedSec === null ? sec(ev.lastSeenSec) : `${sec(ev.endedSec)} (ended)`} | ${e.role === 'first' ? 'match' : `**${e.role}**`} | ${(ev.labels ?? []).join(', ')} | ${f2(ev.peakScore)} |`,
      );
    }
  }

  L.push('', '## Must-NOT-alert scenes', '');
  if (s.negative.scenes.length === 0) L.push('None in this run.');
  else {
    L.push(`${s.negative.events} event(s) in ${f2(negHours)} camera-hours (${f1(s.negative.perCameraHour)} per camera-hour).`, '');
    L.push('| scene | video s | events |', '|---|---:|---|');
    for (const n of s.negative.scenes) L.push(`| ${n.name} | ${n.durationSec} | ${n.events.length ? n.events.map((e) => `${e.type} \`${e.id}\` at ${sec(e.confirmedSec)} s`).join('; ') : 'none'} |`);
  }

  L.push('', '## Detections per scene', '');
  L.push('What the detector saw in the analyzed frames: frames with a detection that counts for a zone track (class mapped to the type, score ≥ rule threshold, in the zone), and the most frequent labels anywhere in the picture (frames, best score).', '');
  L.push('| scene | frames | in-zone stall | in-zone dumping | in-zone burning | labels |', '|---|---:|---:|---:|---:|---|');
  for (const d of detectionSummary(r.scenes, frames)) L.push(`| ${d.scene} | ${d.frames} | ${d.hits.stall ?? 0} | ${d.hits.dumping ?? 0} | ${d.hits.burning ?? 0} | ${d.labels} |`);

  if (r.mode === 'rtsp') {
    L.push('', '## Time alignment', '');
    L.push(
      'Live frames carry the wall clock. Warm-up: each camera first connects on a loop of its scene\'s first GOP (the picture at 0 s) until it delivers frames steadily; ' +
        'then the warm-up feeds stop, 2.5 s pass (frames in flight arrive), and every fixture starts from 0 s. T0 = the wall time a fixture\'s feeder ' +
        '(`ffmpeg -re -stream_loop -1 -i X.ts -c copy -f rtp`) was spawned; frames before it are warm-up (not scored here, but the pipeline saw them). ' +
        'Within one RTSP connection (reconnects are taken from the source\'s status) the stream PTS p of a frame runs with the file: p = file time + K. ' +
        'The analyzed frames are keyframes, on a 2 s grid of file time, so K ≡ p (mod 2 s); no frame can come out before it was sent, so K is the smallest such value ' +
        'with every latency t − T0 − file ≥ 0: exact when the fastest frame of a connection came out within 1.9 s. Events carry frame timestamps, so each maps exactly. ' +
        'Each feeder is stopped 1 s before the end of its first loop (after its last keyframe was sent); the pipeline runs until the last one stopped plus a margin.',
      '',
    );
    L.push('| scene | video s | warm-up frames | connections | on GOP grid | latency p50 ms | latency p95 ms | first / last analyzed s |', '|---|---:|---:|---:|---|---:|---:|---|');
    for (const a of r.alignment) L.push(`| ${a.cameraId} | ${a.durationSec} | ${a.warmupFrames} | ${a.segments} | ${a.snapped ? 'yes' : 'no'} | ${a.latencyP50Ms ?? '—'} | ${a.latencyP95Ms ?? '—'} | ${a.firstVideoSec ?? '—'} / ${a.lastVideoSec ?? '—'} |`);
  }

  L.push('', '## Cameras', '');
  L.push('| camera | final state | frames scored | opened | ended | reason |', '|---|---|---:|---:|---:|---|');
  for (const c of r.cameras) L.push(`| ${c.cameraId} | ${c.state} | ${c.frames} | ${c.opened} | ${c.ended} | ${c.reason ?? ''} |`);

  L.push('', `![Timeline: truth incidents, in-zone detections and events per scene](${svgFile})`, '');
  return L.join('\n');
}
