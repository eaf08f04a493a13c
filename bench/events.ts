/**
 * bench:events — event-level accuracy of the whole production pipeline on the fixture cameras.
 *
 *   npm run bench:events                         full set (config/fixtures.yaml), cameras over the real RTSP server, live
 *   npm run bench:events -- --quick              quick set (config/fixtures-quick.yaml), ~3 min, what CI runs
 *   npm run bench:events -- --mode file          the same scenes through `once` mode over the .mp4 files at full speed
 *
 * Options: --model M.json (default models/patrol-det.json when it exists, else the COCO stand-in
 * models/yolox_nano-coco.json), --config FILE, --only NAME[,NAME], --out DIR (bench/results), --name BASE
 * (default events[-quick][-file]), --targets FILE (bench/targets.json), --margin SEC (rtsp: run on after the
 * last feeder stops; default 2 intervals + 2 s), --redis-url URL (BullMQ dispatch instead of the embedded
 * queue), --log FILE (pipeline log; default a temp file).
 * Writes BASE.json, BASE.md and BASE-timeline.svg; progress on stderr.
 * Exit status: 0 targets met, 1 a target missed (each named on stderr), 2 bad input or a failed run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { PatrolError } from '../src/errors.js';
import type { ViolationType } from '../src/contracts/violation.js';
import { diagnose } from './lib/events/diagnose.js';
import { eventsMarkdown, type EventsReport } from './lib/events/report.js';
import { fixtureScenes, runBench, sceneTruth, type BenchMode } from './lib/events/run.js';
import { scoreEvents, VIOLATION_TYPES } from './lib/events/score.js';
import { timelineSvg } from './lib/events/svg.js';
import { checkEventTargets, EventTargetsSchema, missedTargets } from './lib/events/targets.js';
import { loadTargetsSection } from './lib/shared/targets-file.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TRAINED = path.join(REPO, 'models/patrol-det.json');
const STAND_IN = path.join(REPO, 'models/yolox_nano-coco.json');

export function defaultModel(): string {
  return existsSync(TRAINED) ? TRAINED : STAND_IN;
}

interface Args {
  quick: boolean;
  mode: BenchMode;
  model: string;
  config: string;
  only: string[];
  out: string;
  name: string;
  targets: string;
  marginSec?: number;
  redisUrl?: string;
  log?: string;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'rtsp' },
      model: { type: 'string' },
      config: { type: 'string' },
      only: { type: 'string', multiple: true },
      out: { type: 'string', default: path.join(REPO, 'bench/results') },
      name: { type: 'string' },
      targets: { type: 'string', default: path.join(REPO, 'bench/targets.json') },
      margin: { type: 'string' },
      'redis-url': { type: 'string' },
      log: { type: 'string' },
    },
    strict: true,
  });
  const mode = values.mode;
  if (mode !== 'rtsp' && mode !== 'file') throw new PatrolError(`--mode ${mode} is not a mode.`, 'Use --mode rtsp (live over the RTSP server, default) or --mode file (once mode over the .mp4 files).');
  const quick = values.quick ?? false;
  const model = path.resolve(values.model ?? defaultModel());
  if (!existsSync(model)) throw new PatrolError(`Model manifest not found: ${model}`, 'Pass --model models/NAME.json (models/yolox_nano-coco.json is the COCO stand-in).');
  const config = path.resolve(values.config ?? path.join(REPO, quick ? 'config/fixtures-quick.yaml' : 'config/fixtures.yaml'));
  const margin = values.margin === undefined ? undefined : Number(values.margin);
  if (margin !== undefined && !(margin >= 0)) throw new PatrolError(`--margin ${values.margin} is not a number of seconds.`, 'Give --margin SEC, e.g. --margin 6.');
  return {
    quick,
    mode,
    model,
    config,
    only: (values.only ?? []).flatMap((x) => x.split(',')).filter(Boolean),
    out: path.resolve(values.out!),
    name: values.name ?? `events${quick ? '-quick' : ''}${mode === 'file' ? '-file' : ''}`,
    targets: path.resolve(values.targets!),
    ...(margin !== undefined ? { marginSec: margin } : {}),
    ...(values['redis-url'] ? { redisUrl: values['redis-url'] } : {}),
    ...(values.log ? { log: path.resolve(values.log) } : {}),
  };
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[bench:events] ${line}\n`);
  const targets = loadTargetsSection(args.targets, 'events', EventTargetsSchema);
  const { config } = loadConfig(args.config);
  let picked;
  try {
    picked = fixtureScenes(config, args.only);
  } catch (err) {
    throw new PatrolError((err as Error).message, 'Pick scene names from the config (--only NAME[,NAME]).');
  }
  const { scenes, skipped } = picked;
  for (const s of skipped) log(`skipping ${s}`);
  if (scenes.length === 0) throw new PatrolError(`No fixture scene to run from ${args.config}.`, `Render the fixtures first: npm run fixtures${args.quick ? ' -- --quick' : ''}.`);
  const planned = scenes[0]!.truth.planned;
  for (const t of VIOLATION_TYPES) {
    const rule = config.rules[t];
    if (rule && rule.dwellSec !== planned.dwellSec[t]) log(`note: ${t} dwell is ${rule.dwellSec} s in the config, the fixtures were laid out for ${planned.dwellSec[t]} s`);
  }
  const maxInterval = Math.max(...scenes.map((s) => s.camera.intervalSec));
  const marginSec = args.marginSec ?? 2 * maxInterval + 2;
  const videoSec = scenes.reduce((a, s) => a + s.truth.durationSec, 0);
  log(
    `${scenes.length} scene(s), ${videoSec} s of video, ${args.mode} mode, model ${path.relative(REPO, args.model)}` +
      (args.mode === 'rtsp' ? `; about ${Math.max(...scenes.map((s) => s.truth.durationSec)) + marginSec + 3} s of real time after a warm-up of ~10–20 s` : ''),
  );

  const run = await runBench({
    config,
    scenes,
    model: args.model,
    mode: args.mode,
    marginSec,
    ...(args.redisUrl ? { redisUrl: args.redisUrl } : {}),
    ...(args.log ? { logFile: args.log } : {}),
    progress: log,
  });
  log(`run done in ${run.wallSec.toFixed(0)} s: ${run.loop.framesAnalyzed} frames, ${run.events.length} event(s); pipeline log ${run.logFile}`);
  const failed = run.cameras.filter((c) => c.frames === 0);
  if (failed.length) log(`!! no frame scored on ${failed.map((c) => `${c.cameraId} (${c.state}${c.reason ? `: ${c.reason}` : ''})`).join(', ')}`);

  const truths = scenes.map(sceneTruth);
  const rules = {} as EventsReport['rules'];
  for (const t of VIOLATION_TYPES) {
    const { dwellSec, hits, window, endAfterSec, cooldownSec } = run.rules[t];
    rules[t] = { dwellSec, hits, window, endAfterSec, cooldownSec };
  }
  const score = scoreEvents(truths, run.events, rules);
  const checks = checkEventTargets(score, targets);
  const findings = diagnose(score, truths, run.frames, rules, targets.ttdP95MaxIntervals);

  const report: EventsReport = {
    schema: 'patrol-bench-events/1',
    generatedAt: new Date().toISOString(),
    mode: args.mode,
    set: args.only.length ? `scenes ${args.only.join(', ')}` : args.quick ? 'quick set' : 'full set',
    config: path.relative(REPO, args.config),
    model: { ...run.model, manifest: path.relative(REPO, run.model.manifest) },
    rules,
    scenes: truths,
    skipped,
    score,
    checks,
    findings,
    alignment: run.alignment,
    cameras: run.cameras,
    dispatched: run.dispatched,
    loop: run.loop,
    wallSec: Math.round(run.wallSec),
    environment: [`${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}`],
  };
  mkdirSync(args.out, { recursive: true });
  const svgName = `${args.name}-timeline.svg`;
  const dwellSec = Object.fromEntries(VIOLATION_TYPES.map((t) => [t, rules[t].dwellSec])) as Record<ViolationType, number>;
  writeFileSync(path.join(args.out, svgName), timelineSvg({ title: `bench:events — ${run.model.name}, ${args.mode} mode, ${report.set}`, scenes: truths, score, frames: run.frames, dwellSec }));
  writeFileSync(path.join(args.out, `${args.name}.md`), eventsMarkdown(report, run.frames, svgName));
  // Frames: only those with a violation-class detection (the rest are counted per camera), to keep the file small.
  const frames = run.frames.filter((f) => f.violationDets.length > 0).map((f) => ({ cameraId: f.cameraId, videoSec: f.videoSec, detections: f.violationDets }));
  writeFileSync(path.join(args.out, `${args.name}.json`), JSON.stringify({ ...report, frames, events: run.rawEvents.map((e) => ({ ...e, evidence: undefined })) }, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), path.join(args.out, args.name))}.{json,md} and ${svgName}`);

  for (const t of score.types) {
    if (t.incidents === 0 && t.events === 0) continue;
    log(`${t.type}: P ${t.precision?.toFixed(2) ?? '—'} R ${t.recall?.toFixed(2) ?? '—'} F1 ${t.f1?.toFixed(2) ?? '—'}, ${t.events} event(s), ${t.duplicates} duplicate(s), TTD p95 ${t.ttdSec.p95 ?? '—'} s`);
  }
  for (const f of findings) log(`gap: ${f.scene} ${f.type} ${f.kind} — ${f.limitedBy}: ${f.detail}`);
  const missed = missedTargets(checks);
  for (const m of missed) process.stderr.write(`MISSED ${m}\n`);
  if (missed.length === 0) log('all measured targets met');
  return missed.length ? 1 : 0;
}

let code: number;
try {
  code = await main();
} catch (err) {
  process.stderr.write(err instanceof PatrolError ? `bench:events: ${err.format()}\n` : `bench:events failed: ${(err as Error).stack ?? String(err)}\n`);
  code = 2;
}
// Child processes and ONNX Runtime threads are gone; exit even if a stray handle lingers.
process.exit(code);
