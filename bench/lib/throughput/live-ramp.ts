/**
 * The live K ramp: live steps at the plan's K values in turn until one is not sustained, cannot run, or the
 * mode's time budget would be overrun; then one bisection step between the last sustained K and the failed one.
 */
import { liveStep } from './live-step.js';
import type { Plan } from './plan.js';
import type { LiveStep } from './result.js';
import type { StageProgress } from './stage-progress.js';
import type { ThroughputTargets } from './targets.js';

export interface LiveRamp {
  /** Every step run, by K. */
  steps: LiveStep[];
  /** The largest K sustained; 0 when none was. */
  maxSustainedK: number;
  stoppedBecause: string;
}

/** `omitted` gets a line when the first step cannot run. */
export async function runLiveRamp(plan: Plan, clip: string, ffmpegPath: string, model: string, targets: ThroughputTargets, progress: StageProgress, omitted: string[]): Promise<LiveRamp> {
  const steps: LiveStep[] = [];
  let stoppedBecause = `reached the end of the ramp (K=${plan.live.ks.at(-1)})`;
  const rampStart = Date.now();
  for (const [i, k] of plan.live.ks.entries()) {
    const elapsed = (Date.now() - rampStart) / 1000;
    const perStep = i > 0 ? elapsed / i : 0;
    if (i > 0 && elapsed + perStep > plan.live.budgetSec) {
      stoppedBecause = `time budget of the ${plan.mode} mode (${plan.live.budgetSec} s for the ramp) reached before K=${k}`;
      break;
    }
    let s: LiveStep;
    try {
      s = await liveStep(k, plan, clip, ffmpegPath, model, targets, progress, i / plan.live.ks.length, 1 / plan.live.ks.length);
    } catch (err) {
      progress.note(`live run at K=${k} failed: ${(err as Error).message}`);
      stoppedBecause = `K=${k} could not run: ${(err as Error).message.split('\n')[0]}`;
      if (i === 0) omitted.push(`live run: ${(err as Error).message.split('\n')[0]}`);
      break;
    }
    steps.push(s);
    progress.note(
      `K=${k}: ${s.sustained ? 'sustained' : `NOT sustained (${s.why})`}; ${s.cpuMsPerCameraSecond.toFixed(2)} CPU-ms/camera-s ` +
        `(node ${s.nodeCpuMsPerCameraSecond.toFixed(2)}, ffmpeg ${s.ffmpegCpuMsPerCameraSecond.toFixed(2)}), misses ${(s.misses.ratio * 100).toFixed(2)}%, ` +
        `latency p95 ${(s.latency.p95 / 1000).toFixed(2)} s, RSS ${s.rssMb.perStream.toFixed(1)} MB/stream, load ${s.loadAverage.toFixed(1)}`,
    );
    if (!s.sustained) {
      stoppedBecause = `K=${k} not sustained: ${s.why}`;
      break;
    }
  }
  // One bisection step between the last sustained K and the first failed one, when the budget allows.
  const failed = steps.at(-1);
  const passed = steps.filter((s) => s.sustained).at(-1);
  const rampSec = (Date.now() - rampStart) / 1000;
  if (failed && !failed.sustained && passed && rampSec + rampSec / steps.length <= plan.live.budgetSec) {
    const mid = Math.round((passed.k + failed.k) / 2 / 4) * 4;
    if (mid > passed.k && mid < failed.k) {
      try {
        const s = await liveStep(mid, plan, clip, ffmpegPath, model, targets, progress, 0.95, 0.05);
        steps.push(s);
        progress.note(`K=${mid} (bisection): ${s.sustained ? 'sustained' : `NOT sustained (${s.why})`}; misses ${(s.misses.ratio * 100).toFixed(2)}%, latency p95 ${(s.latency.p95 / 1000).toFixed(2)} s`);
        stoppedBecause += `; bisection K=${mid}: ${s.sustained ? 'sustained' : 'not sustained'}`;
      } catch (err) {
        progress.note(`live run at K=${mid} failed: ${(err as Error).message}`);
      }
    }
  }
  steps.sort((a, b) => a.k - b.k);
  const sustained = steps.filter((s) => s.sustained);
  const maxSustainedK = sustained.length ? Math.max(...sustained.map((s) => s.k)) : 0;
  return { steps, maxSustainedK, stoppedBecause };
}
