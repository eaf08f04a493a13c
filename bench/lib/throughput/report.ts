/** bench/results/throughput.md from the run's JSON. Pure. */
import type { Summary } from '../shared/percentile.js';
import type { ThroughputResult } from './result.js';
import { formatValue } from './targets.js';

const f = (v: number | undefined, d = 2) => (v === undefined || v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));
const pct = (v: number | undefined, d = 2) => (v === undefined || v === null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(d)}%`);
const sec = (ms: number | undefined) => (ms === undefined || ms === null || !Number.isFinite(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);
const lat = (s: Summary) => (s.n === 0 ? 'no samples' : `${f(s.p50, 0)} / ${f(s.p95, 0)} / ${f(s.max, 0)} ms (n=${s.n})`);

/** `base`: the file name base the SVGs were written with (throughput or throughput-quick). */
export function throughputMarkdown(r: ThroughputResult, base = 'throughput'): string {
  const L: string[] = [];
  const e = r.environment;
  L.push(`# bench:throughput — ${r.mode} mode`, '');
  L.push(`Run ${r.startedAt}, ${Math.round(r.durationSec)} s, on ${e.cores} × ${e.cpu}; Node ${e.node}; ${e.ffmpeg}. Load average ${f(e.loadAverageStart, 1)} at start, ${f(e.loadAverageEnd, 1)} at the end (${e.note}).`, '');
  L.push(
    `Clip \`${r.clip.file}\`: ${r.clip.width}×${r.clip.height} H.264, ${f(r.clip.fps, 0)} fps, GOP ${f(r.clip.gopFrames, 0)} frames, ${f(r.clip.kbps, 0)} kbps (container), looped by the load generator. ` +
      `Model \`${r.model.manifest}\` (${r.model.name}, input ${r.model.input}); the pipeline runs it with ${r.model.pipelineThreads} thread, batch ${r.model.pipelineBatch}. ` +
      `Every camera is analyzed every ${r.intervalSec} s (keyframe decode: the interval rounds up to the GOP, one frame per 6 s at GOP 2 s).`,
    '',
  );
  L.push('All figures are measured in this run unless marked **projection**. CPU is CPU time (user + system, all threads) of the pipeline\'s own processes — `/proc/<pid>/stat` for ffmpeg, `process.cpuUsage()` in process — never of the load generator (RTSP server and its ffmpeg feeders).', '');

  L.push('## Targets (bench/targets.json)', '', '| target | measured | limit | result |', '|---|---:|---:|---|');
  for (const c of r.targets) L.push(`| ${c.what} | ${formatValue(c)} | ${c.op} ${c.unit === 'core' ? `${(c.target * 100).toFixed(0)}% of one core` : c.unit === 'ratio' ? `${(c.target * 100).toFixed(0)}%` : `${c.target} ${c.unit}`} | ${c.ok ? 'met' : '**missed**'}${c.note ? ` (${c.note})` : ''} |`);
  L.push('', r.passed ? 'Every target met.' : `**${r.targets.filter((c) => !c.ok).length} target(s) missed** — see the gaps below.`, '');

  L.push('## Stage costs per camera', '', `![CPU per stage](${base}-cpu-stages.svg)`, '', '| stage | CPU-ms per camera-second | in the sum | how |', '|---|---:|:---:|---|');
  for (const s of r.stageTable) L.push(`| ${s.stage} | ${f(s.cpuMsPerCameraSecond, 3)} | ${s.inSum ? 'yes' : 'no'} | ${s.how} |`);
  if (r.stageSumCpuMsPerCameraSecond !== undefined) {
    L.push(`| **end to end (sum)** | **${f(r.stageSumCpuMsPerCameraSecond, 3)}** | | → **${f(1000 / r.stageSumCpuMsPerCameraSecond, 0)} streams per core** |`);
  }
  const h = r.heldOpen;
  if (h) L.push(`| **held-open (native): native ingest in place of the ffmpeg rows** | **${f(h.cpuMsPerCameraSecond, 3)}** | | → **${f(h.streamsPerCore, 0)} streams per core**, ${f(h.rssMbPerStream, 1)} MB per stream; sums: ${h.rows.join(' + ')} |`);
  L.push('');
  const st = r.stages;
  if (st.ingest && st.decode) {
    L.push(
      `Ingest: ${st.ingest.streams} × \`ffmpeg -rtsp_transport tcp -i rtsp://… -c copy -f null -\` for ${f(st.ingest.windowSec, 0)} s; per process ${f(st.ingest.rssMbPerProcess, 1)} MB RSS, ${f(st.ingest.anonMbPerProcess, 1)} MB private, ${f(st.ingest.pssMbPerProcess, 1)} MB PSS. ` +
        `Camera source (production \`createCameraSource\`): ${st.decode.streams} streams for ${f(st.decode.windowSec, 0)} s, ffmpeg ${f(st.decode.ffmpegCpuMsPerCameraSecond, 2)} CPU-ms/camera-s in total (ingest + decode + scale), ` +
        `${f(st.decode.framesPerCameraMinute, 1)} frames per camera-minute delivered; per ffmpeg ${f(st.decode.rssMbPerProcess, 1)} MB RSS, ${f(st.decode.anonMbPerProcess, 1)} MB private, ${f(st.decode.pssMbPerProcess, 1)} MB PSS. ` +
        'RSS counts the shared FFmpeg libraries in every process; PSS divides shared pages among the processes that map them, so it is what each extra ffmpeg really costs.',
      '',
    );
  }
  if (st.nativeIngest && st.decode) {
    const nat = st.nativeIngest;
    const ff = st.decode.ffmpegCpuMsPerCameraSecond;
    L.push(
      `Native ingest (\`transport: native\`: in-process RTSP client, one read pacer, one shared keyframe decoder pool, each camera with its packet ring; not in the sum): ${nat.streams} cameras in this process (${nat.liveAtEnd} live at the end)${nat.server ? ` against the ${nat.server} (its CPU ${f(nat.serverCpuMsPerCameraSecond ?? Number.NaN, 3)} CPU-ms/camera-s, not counted)` : ''} for ${f(nat.windowSec, 0)} s, ` +
        `${f(nat.cpuMsPerCameraSecond, 3)} CPU-ms/camera-s (Node ${f(nat.nodeCpuMsPerCameraSecond, 3)} + ${nat.decoders} decoder process(es) ${f(nat.poolCpuMsPerCameraSecond, 3)}) = ${f(nat.cpuMsPerCameraSecond / ff, 2)}× the ffmpeg camera source's ingest + decode + scale (${f(ff, 3)}); ` +
        `${f(nat.framesPerCamera, 1)} frames per camera (${f(nat.framesPerCameraMinute, 1)} per camera-minute); ${f(nat.memoryMbPerCamera, 1)} MB per camera (Node RSS growth ${f(nat.nodeRssGrowthMbPerCamera, 1)} + pool RSS ${f(nat.poolRssMbPerCamera, 1)}; pool PSS ${f(nat.poolPssMbPerCamera, 1)}) ` +
        `= ${f(nat.memoryMbPerCamera / st.decode.rssMbPerProcess, 2)}× one camera-source ffmpeg's RSS.`,
      '',
    );
  }
  if (st.frigateBaseline) {
    const fr = st.frigateBaseline;
    L.push(
      `Frigate-style baseline (not Patrol, not in the sum): ${fr.streams} × \`ffmpeg -rtsp_transport tcp -i rtsp://… -vf fps=${fr.fps},scale=${fr.width}:${fr.height} -f rawvideo -pix_fmt yuv420p pipe:\` — every frame decoded, ${fr.fps} per second kept and scaled, as Frigate's detect process does — ` +
        `with the frames read and discarded here, for ${f(fr.windowSec, 0)} s: ${f(fr.cpuMsPerCameraSecond, 3)} CPU-ms/camera-s (ffmpeg ${f(fr.ffmpegCpuMsPerCameraSecond, 3)} + reader ${f(fr.readerCpuMsPerCameraSecond, 3)}), ` +
        `${f(fr.framesPerCameraSecond, 2)} frames per camera-second; per ffmpeg ${f(fr.rssMbPerProcess, 1)} MB RSS, ${f(fr.anonMbPerProcess, 1)} MB private, ${f(fr.pssMbPerProcess, 1)} MB PSS.`,
      '',
    );
  }
  const q = r.ingestRatios;
  if (q) {
    const c = q.cpuMsPerCameraSecond;
    const m = q.memoryMbPerCamera;
    const x = (v: number | undefined) => (v === undefined ? '—' : `${f(v, 2)}×`);
    L.push(
      '| ingest path, same streams (CPU up to frames in Node) | CPU-ms per camera-second | MB per camera |', '|---|---:|---:|',
      `| Patrol, ffmpeg camera source (ingest + keyframe decode + scale + hand-off) | ${f(c.ffmpeg, 3)} | ${f(m.ffmpeg, 1)} |`,
      `| Patrol, native client + shared decoder pool | ${f(c.native, 3)} | ${f(m.native, 1)} |`,
      `| Frigate-style full decode at 5 fps | ${f(c.frigate, 3)} | ${f(m.frigate, 1)} |`,
      '',
      `Ratios: native ${x(q.nativeVsFfmpeg)} the ffmpeg path; Frigate-style ${x(q.frigateVsNative)} native and ${x(q.frigateVsFfmpeg)} the ffmpeg path.`,
      '',
    );
  }
  if (st.tour) L.push(...tourParagraph(st.tour), '');
  if (st.inference) {
    const rows = st.inference.rows;
    const batches = [...new Set(rows.map((x) => x.batch))].sort((a, b) => a - b);
    L.push(`### Inference (${st.inference.note})`, '');
    L.push(`| threads | ${batches.map((b) => `batch ${b}: CPU-ms/frame (wall)`).join(' | ')} | CPU-ms per camera-second, batch ${batches.join(' / ')} |`);
    L.push(`|---:|${batches.map(() => '---:').join('|')}|---:|`);
    for (const t of [...new Set(rows.map((x) => x.threads))].sort((a, b) => a - b)) {
      const row = batches.map((b) => rows.find((x) => x.threads === t && x.batch === b));
      L.push(`| ${t} | ${row.map((x) => (x ? `${f(x.cpuMsPerFrame, 1)} (${f(x.wallMsPerFrame, 1)})` : '—')).join(' | ')} | ${row.map((x) => f(x?.cpuMsPerCameraSecond, 2)).join(' / ')} |`);
    }
    L.push('', `Preprocessing (HWC→CHW), ONNX Runtime, decoding and NMS, one call in flight; per camera-second at one frame per ${r.intervalSec} s.`, '');
  }
  if (st.scoring) L.push(`Scoring: \`step()\` over recorded detections, ${st.scoring.cameras} cameras × ${st.scoring.steps / st.scoring.cameras} frames: ${f(st.scoring.cpuMsPerStep * 1000, 1)} CPU-µs per frame; ${st.scoring.changes} event changes raised.`, '');
  if (st.dispatch) {
    const d = st.dispatch;
    L.push(
      `Dispatch: ${d.embedded.messages} sequential publishes each. Embedded SQLite queue ${f(d.embedded.cpuMsPerPublish, 3)} CPU-ms/publish (wall p50/p95 ${f(d.embedded.wall.p50, 2)}/${f(d.embedded.wall.p95, 2)} ms, fsync per publish); ` +
        `BullMQ ${f(d.bullmq.nodeCpuMsPerPublish, 3)} (Node) + ${f(d.bullmq.redisCpuMsPerPublish, 3)} (redis-server) CPU-ms/publish (wall p50/p95 ${f(d.bullmq.wall.p50, 2)}/${f(d.bullmq.wall.p95, 2)} ms). ` +
        `Publish rate ${d.publishesPerCameraSecond.toExponential(2)} per camera-second (${d.publishRateSource}).`,
      '',
    );
  }

  if (r.live) {
    L.push('## Live run (production `startPipeline`, live mode, K RTSP cameras)', '');
    L.push(
      (r.live.transport === 'native'
        ? 'The camera farm (support/camera-farm: one RTSP server process, the clip re-encoded once to the patrol profile) serves K live mounts; the pipeline receives them with the in-process client (transport native, the default for rtsp:// cameras: one read pacer, one shared keyframe decoder pool, whose ffmpeg processes are the pipeline\'s ffmpeg column); it runs in a process of its own (bench/lib/throughput/live-worker.ts) with a config of K rtsp cameras, '
        : 'The GStreamer RTSP test server (support/rtsp-server.py, started by bench/lib/throughput/rtsp-load.ts: at most 16 mounts per server process, ports below the ephemeral range) ' +
          'serves the clip as K mounts, each fed by its own `ffmpeg -re … -f rtp`; the pipeline (transport ffmpeg: one ffmpeg per camera) runs in a process of its own (bench/lib/throughput/live-worker.ts) with a config of K rtsp cameras, ') +
        'interval 5 s, keyframe decode, 1 detector thread, the embedded queue. The load generator shares the cores with the pipeline (its CPU is the column next to the pipeline\'s). ' +
        'Per step: all cameras live (or 30 s), warm-up, then a measured window. A failed step says whether the analysis path (late or replaced frames) or ingest (cameras silent while analysis kept up) limited it.',
      '',
    );
    L.push(
      '*Interval miss*: a gap between a camera\'s consecutive analyzed frames (arrival times) over interval × 1.5, counted as the frames that should have been in it, ' +
        'or a frame replaced in the mailbox before the detector took it; per camera the larger of the two counts (a replacement also opens a gap). ' +
        '*Event latency*: frame arrival (its pixels out of ffmpeg) → analysis finished, which includes scoring, evidence and the publish of any event the frame raised; ' +
        'measured on every analyzed frame, so it holds for events whether or not one happened in the window (frames that did publish are listed separately).',
      '',
    );
    L.push('| K | cameras live (window start → end) | sustained | CPU-ms/camera-s (Node + ffmpeg) | load generator CPU-ms/camera-s | misses | worst gap | latency p50 / p95 / max | publishes (p95) | RSS MB: pipeline + ffmpeg = total → per stream (PSS per stream) | inference ms/frame | load avg |');
    L.push('|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of r.live.steps) {
      L.push(
        `| ${s.k} | ${s.liveAtStart ?? '?'} → ${s.liveCameras} | ${s.sustained ? 'yes' : `**no**: ${s.why}`} | ${f(s.cpuMsPerCameraSecond)} (${f(s.nodeCpuMsPerCameraSecond)} + ${f(s.ffmpegCpuMsPerCameraSecond)}) | ${f(s.loadGeneratorCpuMsPerCameraSecond)} | ` +
          `${pct(s.misses.ratio)} (${s.misses.misses}/${s.misses.analyzed + s.misses.misses}; replaced ${s.misses.replaced}) | ${sec(s.misses.worstGapMs)} | ${lat(s.latency)} | ${s.eventsPublished}${s.publishLatency.n ? ` (${f(s.publishLatency.p95, 0)} ms)` : ''} | ` +
          `${f(s.rssMb.pipeline, 0)} + ${f(s.rssMb.ffmpeg, 0)} = ${f(s.rssMb.total, 0)} → ${f(s.rssMb.perStream, 1)} (${f(s.rssMb.pssPerStream, 1)}) | ${f(s.inferenceMsPerFrame, 1)} | ${f(s.loadAverage, 1)} |`,
      );
    }
    L.push('', `**Largest K sustained: ${r.live.maxSustainedK}** — the ramp stopped: ${r.live.stoppedBecause}.`, '');
    const notes = r.live.steps.filter((s) => (s.sourceProblems?.length ?? 0) > 0);
    if (notes.length) {
      L.push(
        'Camera source problems reported by the pipeline (counted from the step\'s start, connection included; numbers in messages replaced by N), ' +
          'with the busiest RTSP server process\'s share of one core (load generator):',
        '',
      );
      for (const s of notes) L.push(`- K=${s.k} (server ${pct(s.rtspServerCoreShare, 0)}): ${s.sourceProblems!.join('; ')}`);
      L.push('');
    }
    if (r.live.memoryFit && Number.isFinite(r.live.memoryFit.slope)) {
      const pf = r.live.privateMemoryFit;
      L.push(
        `Memory grows by ${f(r.live.memoryFit.slope, 1)} MB RSS per extra camera (least squares over ${r.live.memoryFit.n} steps, intercept ${f(r.live.memoryFit.intercept, 0)} MB)` +
          `${pf && Number.isFinite(pf.slope) ? `; summed PSS (physical memory) grows by ${f(pf.slope, 1)} MB per camera (intercept ${f(pf.intercept, 0)} MB) — the difference is shared library pages that a sum of per-process RSS counts once per ffmpeg` : ''}.`,
        '',
      );
    }
    L.push(`![Streams vs interval misses](${base}-misses.svg)`, '', `![Streams vs latency](${base}-latency.svg)`, '');
  }

  if (r.controlPlane) {
    const c = r.controlPlane;
    L.push(`## Control plane at ${c.cameras} cameras`, '');
    L.push(
      `Real detector output recorded once on the fixture frames (${c.fixtures.join(', ')}), replayed for ${c.cameras} cameras at one frame per camera per ${r.intervalSec} s (phases spread evenly, timestamps shifted to the wall clock) ` +
        `through the production \`CameraAnalyzer\` (scorer \`step\`, open-events file, BullMQ publish with jobId dedupe) against a real redis-server; evidence rendering left out. ` +
        `${c.prerollSec} s of pre-roll (not measured) so events are open, then ${c.windowSec} s measured in real time.`,
      '',
    );
    L.push('| frames | publishes (most in 1 s) | open events | CPU, share of one core (Node + redis-server) | publish latency p50 / p95 / max | frame handling latency p50 / p95 / max |', '|---:|---:|---:|---:|---:|---:|');
    L.push(`| ${c.frames} | ${c.publishes} (${c.publishesPerSecondMax}) | ${c.openEvents} | ${pct(c.coreShare)} (${pct(c.nodeCoreShare)} + ${pct(c.redisCoreShare)}) | ${lat(c.publishLatency)} | ${lat(c.handleLatency)} |`, '');
    L.push(
      `Event load: each replayed camera watches the whole picture for every violation type, so a camera replaying a scene in which the model sees a violation class keeps an event open ` +
        `(${c.openEvents} events open on ${c.cameras} cameras at the end of the window) and publishes \`updated\` at least every 30 s: ${f((c.publishes / c.cameras / c.windowSec) * 60, 2)} publishes per camera-minute, ` +
        `at most ${c.publishesPerSecondMax} in one second. Cameras join the replay at staggered times during the pre-roll, so events and their updates are spread as in a steady state; ` +
        'a restart of every camera at once would bunch them. This event rate is an assumption, not one measured on a real fleet; the publish path is most of the CPU, so the share scales with it. ' +
        'Publish latency = frame due time → BullMQ accepted (publishes run one at a time, so a burst queues; frames are handed out in 50 ms batches).',
      '',
    );
  }

  if (r.projection) {
    const p = r.projection.fromStages;
    L.push(`## Projection to ${r.projection.streams} streams (**projection**, not measured)`, '', r.projection.note, '');
    L.push('| part | cores |', '|---|---:|');
    for (const s of p.perStageCores) L.push(`| ${s.stage} | ${f(s.cores, 2)} |`);
    L.push(`| control plane (scoring + dedupe + dispatch, measured at 1000 cameras) | ${f(p.controlPlaneCores, 3)} |`);
    L.push(`| **total** | **${f(p.totalCores, 1)}** |`, '');
    const live = r.projection.fromLive;
    L.push(
      `From the stage sum: ${f(p.cpuMsPerCameraSecond, 2)} CPU-ms per camera-second for the camera-proportional stages → ${f(p.streamsPerCore, 0)} streams per core → ${f(p.totalCores, 1)} cores for ${p.streams} cameras` +
        `${p.memoryMb !== undefined ? `, about ${f(p.memoryMb / 1024, 1)} GB as summed RSS${r.projection.privateMemoryMb !== undefined ? ` (${f(r.projection.privateMemoryMb / 1024, 1)} GB as summed PSS, the physical memory)` : ''}` : ''}.` +
        (live ? ` From the live run's whole-process measurement: ${f(live.cpuMsPerCameraSecond, 2)} CPU-ms per camera-second → ${f(live.totalCores, 1)} cores.` : ''),
      '',
    );
  }
  if (r.omitted.length) L.push('## Not measured in this run', '', ...r.omitted.map((o) => `- ${o}`), '');
  return `${L.join('\n')}\n`;
}

/** Tour mode: what the run measured against the camera farm, then the projection, labelled so. */
export function tourParagraph(t: NonNullable<ThroughputResult['stages']['tour']>): string[] {
  const p = t.projection;
  const g = t.gaps;
  const smaller =
    t.revisitSec !== t.targetRevisitSec ? ` — a smaller run than the target's interval (${t.targetRevisitSec} s): the target line scales the cameras kept on time by ${t.targetRevisitSec}/${t.revisitSec}, a projection` : '';
  const srv = t.server.stats;
  return [
    `Tour mode (\`cameras[].tour\`: connect, wait for the next keyframe, TEARDOWN, decode in the shared pool; not in the sum), **measured**: ${t.mounts} live RTSP mounts of the camera farm ` +
      `(${t.server.description}, each mount at its own phase of the wall clock, so a visit joins mid-GOP) toured by one TourRunner with ${t.slots} visit slots, each camera due every ${t.revisitSec} s${smaller}; ` +
      `${f(t.warmupSec, 0)} s warm-up (the first round), then ${f(t.windowSec, 0)} s measured.`,
    '',
    `- cameras analyzed in the window: **${t.camerasVisited} of ${t.mounts}**; on time (every gap between two analyzed frames ≤ ${f(g.limitSec, 0)} s = revisit + tour.missTolerance): **${g.onTime}**; within ${t.revisitSec} s itself: ${t.camerasWithinRevisit}`,
    `- largest gap per camera: p50 ${f(g.largestGapSec.p50, 2)} s, p95 ${f(g.largestGapSec.p95, 2)} s, max ${f(g.largestGapSec.max, 2)} s${g.worstCamera ? ` (${g.worstCamera})` : ''}`,
    `- visits: ${t.visits} (${f(t.visitsPerSecond, 2)}/s), ${t.failedVisits} failed${t.firstFailure ? ` (first: ${t.firstFailure})` : ''}, interval misses ${t.misses} (${pct(t.missRatio)}); at most ${t.maxConnections} connections open`,
    `- visit seconds (connect, DESCRIBE to PLAY, the wait for a keyframe, TEARDOWN, decode): p50 ${f(t.visitSec.p50, 2)}, p95 ${f(t.visitSec.p95, 2)}, mean ${f(t.visitSec.mean, 2)}`,
    `- CPU per visit: ${f(t.cpuMsPerVisit, 2)} ms (Node ${f(t.nodeCpuMsPerVisit, 2)} + decoder pool ${f(t.poolCpuMsPerVisit, 2)}); the camera farm's own CPU, not counted: ${f(t.server.cpuMsPerVisit, 2)} ms per visit, ${pct(t.server.coreShare, 1)} of a core` +
      (srv ? ` (${srv.connections} connections, ${srv.plays} PLAYs, ${srv.teardowns} TEARDOWNs, ${srv.notFound} 404s, at most ${srv.maxOpenConnections} open)` : ''),
    `- projection (not measured): at tour.maxVisits ${p.slots}, ${f(p.slotBoundVisitsPerSecond, 1)} visits/s by the slots, ${f(p.cpuBoundVisitsPerSecond, 0)} by ${p.cores} cores' CPU → ${f(p.camerasPerRevisit, 0)} cameras each visited every ${p.revisitSec} s (${p.bound}-bound)`,
  ];
}
