/**
 * bench:throughput — what one camera costs at each stage of the pipeline, how many streams one core carries,
 * and what 1000 cameras would need, measured on the machine it runs on (issue 7).
 *
 *   npm run bench:throughput                   full mode (≈ 10 min): all stages, K ramp 16, 32, 64, 96, … until a step fails
 *   npm run bench:throughput -- --quick        CI mode (≈ 3–4 min): fewer batch sizes, shorter windows, K = 4, 8
 *
 * Options: --model M.json (default models/patrol-det.json when present, else the YOLOX-nano stand-in),
 * --max-streams N (largest K of the live ramp), --live-transport native|ffmpeg (how the live ramp's cameras are
 * received; default native, what an rtsp:// camera gets without a transport), --clip FILE.ts (704×576 25 fps GOP 50 ~512 kbps H.264 in
 * MPEG-TS; default fixtures/generated/stall_setup.ts), --out DIR (bench/results; files throughput.* in full mode,
 * throughput-quick.* in quick mode), --targets FILE
 * (bench/targets.json), --no-fail (report, but exit 0 when a target is missed).
 * Exit status: 0 every target met, 1 a target missed (each named on stderr), 2 the bench could not run.
 *
 * Stage costs are CPU time of the pipeline's own processes — /proc/<pid>/stat utime+stime for ffmpeg
 * children, process.cpuUsage() for in-process stages — never of the load generator (the RTSP server and its
 * ffmpeg feeders), whose CPU is reported beside it for context. See bench/README.md.
 *
 * This file parses the arguments and runs the stages in order; each stage's measuring code is a module of
 * lib/throughput/ (inputs, inference-cost, scoring-cost, dispatch-cost, control-plane, ingest-cost with
 * frigate-baseline, tour-cost, live-ramp with live-step and live-summary, stage-table with held-open and
 * ingest-ratios, fleet-projection, outputs, summary-print).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveFfmpeg } from '../src/decode/ffmpeg-path.js';
import { PatrolError } from '../src/errors.js';
import { HEAP_FLOOR_FLAG, hasHeapFloor } from '../src/pipeline/heap-floor.js';
import { TestRedis } from '../support/redis.js';
import { loadTargetsSection } from './lib/shared/targets-file.js';
import { measureControlPlane } from './lib/throughput/control-plane.js';
import { clockTicksPerSecond, loadAverage1 } from './lib/throughput/cpu.js';
import { measureDispatch, redisPid, setPublishRate } from './lib/throughput/dispatch-cost.js';
import { projectFleet } from './lib/throughput/fleet-projection.js';
import { measureInference } from './lib/throughput/inference-cost.js';
import { measureIngestAndDecode, type IngestDecodeCost } from './lib/throughput/ingest-cost.js';
import { ingestRatios } from './lib/throughput/ingest-ratios.js';
import { fixtureList, prepareClip, probeClip, recordFixtures } from './lib/throughput/inputs.js';
import { runLiveRamp } from './lib/throughput/live-ramp.js';
import { dynamicBatchModel } from './lib/throughput/model-variant.js';
import { writeOutputs } from './lib/throughput/outputs.js';
import { INTERVAL_SEC, PIPELINE_THREADS, planFor, REPO } from './lib/throughput/plan.js';
import type { ThroughputResult } from './lib/throughput/result.js';
import { measureScoring } from './lib/throughput/scoring-cost.js';
import { StageProgress } from './lib/throughput/stage-progress.js';
import { stageTable } from './lib/throughput/stage-table.js';
import { printSummary } from './lib/throughput/summary-print.js';
import { checkThroughputTargets, missedLines, ThroughputTargetsSchema } from './lib/throughput/targets.js';
import { measureTour, type TourCost } from './lib/throughput/tour-cost.js';

interface Args {
  quick: boolean;
  model: string;
  maxStreams?: number;
  liveTransport: 'native' | 'ffmpeg';
  clip?: string;
  out: string;
  targets: string;
  fail: boolean;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      model: { type: 'string' },
      'max-streams': { type: 'string' },
      'live-transport': { type: 'string', default: 'native' },
      clip: { type: 'string' },
      out: { type: 'string', default: path.join(REPO, 'bench/results') },
      targets: { type: 'string', default: path.join(REPO, 'bench/targets.json') },
      'no-fail': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.quick && values.full) throw new PatrolError('--quick and --full exclude each other.', 'Pass one of them (no flag = --full).');
  const trained = path.join(REPO, 'models/patrol-det.json');
  const model = values.model ?? (existsSync(trained) ? trained : path.join(REPO, 'models/yolox_nano-coco.json'));
  let maxStreams: number | undefined;
  if (values['max-streams'] !== undefined) {
    maxStreams = Number(values['max-streams']);
    if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new PatrolError(`--max-streams must be a positive integer, got "${values['max-streams']}".`, 'For example --max-streams 32.');
  }
  const liveTransport = values['live-transport'];
  if (liveTransport !== 'native' && liveTransport !== 'ffmpeg') throw new PatrolError(`--live-transport must be native or ffmpeg, got "${liveTransport}".`, 'For example --live-transport ffmpeg to ramp one ffmpeg per camera.');
  return { quick: values.quick!, model, maxStreams, liveTransport, clip: values.clip, out: values.out!, targets: values.targets!, fail: !values['no-fail'] };
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (!hasHeapFloor()) {
    // Started as `tsx bench/throughput.ts`: measure a process configured as production's is (see heap-floor.ts).
    process.stderr.write(`bench:throughput: restarting node with ${HEAP_FLOOR_FLAG} (the camera workers' heap floor) so the in-process stages measure what production runs\n`);
    return spawnSync(process.execPath, [HEAP_FLOOR_FLAG, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' }).status ?? 1;
  }
  const targets = loadTargetsSection(args.targets, 'throughput', ThroughputTargetsSchema);
  const plan = planFor(args.quick, args.maxStreams);
  plan.live.transport = args.liveTransport;
  const startedAt = new Date();
  const t0 = Date.now();
  const loadStart = loadAverage1();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'patrol-bench-throughput-'));
  const omitted: string[] = [];
  const progress = new StageProgress(9);
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    // 1. Inputs: the clip, fixture frames as the detector gets them, the detector's own output on them.
    progress.stage('prepare: clip, fixture frames, recorded detections');
    const ffmpeg = resolveFfmpeg();
    const clip = await prepareClip(args.clip, ffmpeg, tmp);
    const clipInfo = probeClip(clip);
    const { info, pixelFormat, recs, allFrames } = await recordFixtures(args.model, fixtureList(plan.fixtures, clip), plan, ffmpeg, progress);
    progress.update(0.9, 'dynamic-batch copy of the model for the batch sweep');
    const batchModel = await dynamicBatchModel(args.model, allFrames);
    progress.note(`model ${info.name} ${info.version}, input ${info.inputWidth}×${info.inputHeight}, pipeline batch ${info.batch}; ${batchModel.note}`);

    // 2. Inference.
    progress.stage('inference: batch × threads sweep');
    const inferenceRows = await measureInference(plan, args.model, batchModel, allFrames, progress);

    // 3. Scoring + dedupe (the pure reducer).
    progress.stage(`scoring + dedupe: step() over recorded detections, ${plan.scoring.cameras} cameras`);
    const scoring = measureScoring(plan, recs, progress);

    // 4. Dispatch, 5. control plane: against a real redis-server.
    progress.stage('dispatch: embedded SQLite queue and BullMQ on redis-server');
    const redis = await TestRedis.start();
    let dispatch: ThroughputResult['stages']['dispatch'];
    let controlPlane: ThroughputResult['controlPlane'];
    try {
      const rPid = await redisPid(redis.url);
      if (rPid === undefined) omitted.push('redis-server CPU (its pid could not be read from INFO)');
      if (scoring.changes.length > 0) dispatch = await measureDispatch(plan, scoring.changes, redis, rPid, tmp, progress);
      else omitted.push('dispatch per-publish cost: the recorded detections raised no event to publish');
      progress.stage(`control plane: ${plan.controlPlane.cameras} cameras replayed at one frame per ${INTERVAL_SEC} s through scorer, dedupe, BullMQ`);
      try {
        controlPlane = await measureControlPlane(plan, recs, redis, rPid, tmp, progress);
      } catch (err) {
        omitted.push(`control plane: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      await redis.stop();
    }
    if (dispatch) setPublishRate(dispatch, controlPlane, scoring);

    // 6-7. Ingest and decode on the real RTSP server.
    progress.stage(`RTSP ingest and keyframe decode + scale, native client, Frigate-style baseline: ${plan.ingest.streams} streams`);
    let ingestDecode: IngestDecodeCost | undefined;
    try {
      ingestDecode = await measureIngestAndDecode(plan, clip, ffmpeg, { width: info.inputWidth, height: info.inputHeight, pixelFormat }, progress);
    } catch (err) {
      progress.note(`ingest/decode stage failed: ${(err as Error).message}`);
      omitted.push(`RTSP ingest and decode stages: ${(err as Error).message.split('\n')[0]}`);
    }

    // 8. Tour mode: one worker touring the camera farm's mounts (never fails the bench: an error is listed).
    const tourRevisitSec = targets.tour?.revisitSec ?? 60;
    progress.stage(`tour mode: ${plan.tour.mounts} mounts every ${plan.tour.revisitSec} s, ${plan.tour.slots} visit slots`);
    let tour: TourCost | undefined;
    try {
      tour = await measureTour(plan, clip, ffmpeg, { width: info.inputWidth, height: info.inputHeight, pixelFormat }, tourRevisitSec, progress);
    } catch (err) {
      progress.note(`tour stage failed: ${(err as Error).message}`);
      omitted.push(`tour mode: ${(err as Error).message.split('\n')[0]}`);
    }

    // 9. Live ramp.
    progress.stage(`live run: K ramp ${plan.live.ks.join(', ')} (stops at > ${targets.maxIntervalMissRatio * 100}% misses or p95 > ${targets.maxEventLatencyP95Ms / 1000} s)`);
    const ramp = await runLiveRamp(plan, clip, ffmpeg.path, args.model, targets, progress, omitted);

    // Stage table and end-to-end sum, projection to 1000 streams, targets.
    progress.stage('projection, targets, report');
    const { table, stageSum, heldOpen } = await stageTable({ ingestDecode, inferenceRows, pipelineBatch: info.batch, scoring, dispatch, controlPlane, model: args.model }, omitted);
    const lastLive = ramp.steps.find((s) => s.k === ramp.maxSustainedK) ?? ramp.steps[0];
    const { memoryFit, privateMemoryFit, projection } = projectFleet(table, stageSum, ramp.steps, lastLive, controlPlane);
    const checks = checkThroughputTargets(
      {
        stageSumCpuMsPerCameraSecond: stageSum,
        live: lastLive
          ? { k: lastLive.k, sustained: lastLive.sustained, cpuMsPerCameraSecond: lastLive.cpuMsPerCameraSecond, missRatio: lastLive.misses.ratio, latencyP95Ms: lastLive.latency.p95, rssMbPerStream: lastLive.rssMb.perStream }
          : undefined,
        controlPlane: controlPlane ? { cameras: controlPlane.cameras, coreShare: controlPlane.coreShare, publishP95Ms: controlPlane.publishLatency.p95 } : undefined,
        tour: tour && {
          mounts: tour.mounts,
          revisitSec: tour.revisitSec,
          camerasOnTime: tour.gaps.onTime,
          limitSec: tour.gaps.limitSec,
          missRatio: tour.missRatio,
          projectedCameras: tour.projection.camerasPerRevisit,
          note: tourNote(tour),
        },
        heldOpen,
      },
      targets,
    );
    const result: ThroughputResult = {
      schema: 'patrol-bench-throughput/1',
      mode: plan.mode,
      startedAt: startedAt.toISOString(),
      durationSec: (Date.now() - t0) / 1000,
      environment: {
        cpu: `${os.cpus()[0]?.model ?? 'unknown'}`,
        cores: os.cpus().length,
        // The in-process stages and the live worker run as production does: with the camera workers' heap floor.
        node: [process.version, ...process.execArgv.filter((a) => hasHeapFloor([a]))].join(' '),
        ffmpeg: ffmpeg.version,
        loadAverageStart: loadStart,
        loadAverageEnd: loadAverage1(),
        note: `CLK_TCK ${clockTicksPerSecond()}; the machine is shared (other jobs' load is in the load averages), which lowers the live ramp's K but not the CPU-time figures much`,
      },
      clip: { ...clipInfo, file: args.clip ?? 'fixtures/generated/stall_setup.ts' },
      intervalSec: INTERVAL_SEC,
      model: { manifest: path.relative(REPO, args.model), name: `${info.name} ${info.version}`, input: `${info.inputWidth}×${info.inputHeight}`, pipelineBatch: info.batch, pipelineThreads: PIPELINE_THREADS, batchNote: batchModel.note },
      stages: {
        ingest: ingestDecode?.ingest,
        decode: ingestDecode?.decode,
        nativeIngest: ingestDecode?.native,
        frigateBaseline: ingestDecode?.frigate,
        tour,
        inference: { rows: inferenceRows, note: batchModel.note },
        scoring: { cameras: plan.scoring.cameras, steps: scoring.steps, cpuMsPerStep: scoring.cpuMsPerStep, cpuMsPerCameraSecond: scoring.cpuMsPerStep / INTERVAL_SEC, changes: scoring.changes.length },
        dispatch,
      },
      stageTable: table,
      stageSumCpuMsPerCameraSecond: stageSum,
      heldOpen,
      ingestRatios: ingestDecode && ingestRatios(ingestDecode),
      controlPlane,
      live: { ...ramp, transport: plan.live.transport, memoryFit, privateMemoryFit },
      projection,
      targets: checks,
      passed: checks.every((c) => c.ok),
      omitted,
    };
    result.durationSec = (Date.now() - t0) / 1000;
    writeOutputs(args.out, result);
    progress.done();
    printSummary(result, args.out);
    const missed = missedLines(checks);
    for (const line of missed) process.stderr.write(`${line}\n`);
    if (missed.length && !args.fail) process.stderr.write('--no-fail: exiting 0 although targets were missed\n');
    return missed.length && args.fail ? 1 : 0;
  } finally {
    cleanup();
  }
}

/** What the tour run saw: visits, the largest gaps, CPU per visit. */
function tourNote(t: TourCost): string {
  const g = t.gaps.largestGapSec;
  return `${t.visits} visits of ${t.camerasVisited}/${t.mounts} cameras in ${t.windowSec.toFixed(0)} s with ${t.slots} slots; largest gap per camera p95 ${g.p95.toFixed(2)} s, max ${g.max.toFixed(2)} s; ${t.camerasWithinRevisit} within ${t.revisitSec} s itself; ${t.visitSec.mean.toFixed(2)} s and ${t.cpuMsPerVisit.toFixed(1)} CPU-ms per visit`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main().then(
  (code) => {
    process.exitCode = code;
    // Stray handles (a redis client reconnecting, an ffmpeg pipe) must not keep a finished bench alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    if (err instanceof PatrolError) process.stderr.write(`\nbench:throughput: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    else process.stderr.write(`\nbench:throughput failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
    setTimeout(() => process.exit(2), 500).unref();
  },
);
