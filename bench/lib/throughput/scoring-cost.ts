/** Scoring + dedupe cost: the pure reducer step() over the recorded detections, for the plan's cameras and steps. */
import type { EventChange } from '../../../src/contracts/event.js';
import { resolveRules } from '../../../src/score/rules.js';
import { createCameraScoreState, step, type CameraScoreState } from '../../../src/score/scorer.js';
import { cpuUsageMs } from './cpu.js';
import type { FixtureRecording } from './inputs.js';
import { INTERVAL_SEC, type Plan } from './plan.js';
import { cameraFor, detectionsFor } from './replay.js';
import type { StageProgress } from './stage-progress.js';

export interface ScoringCost {
  cpuMsPerStep: number;
  steps: number;
  /** The event changes the replay raised (the first 5000 or so): the dispatch stage publishes them. */
  changes: EventChange[];
}

export function measureScoring(plan: Plan, recs: FixtureRecording[], progress: StageProgress): ScoringCost {
  const rules = resolveRules(undefined);
  const cams = Array.from({ length: plan.scoring.cameras }, (_, c) => cameraFor(c, INTERVAL_SEC));
  const states: CameraScoreState[] = cams.map(() => createCameraScoreState());
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const changes: EventChange[] = [];
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < plan.scoring.steps; s++) {
    for (let c = 0; c < cams.length; c++) {
      const t = t0 + s * INTERVAL_SEC * 1000 + c;
      const r = step(states[c]!, { detections: detectionsFor(c, s, recs, cams[c]!.id, t), analyzedAt: t }, { camera: cams[c]!, rules });
      states[c] = r.state;
      if (changes.length < 5000) changes.push(...r.changes);
    }
    if (s % 5 === 0) progress.update(s / plan.scoring.steps);
  }
  const cpu = cpuUsageMs(cpu0);
  const steps = plan.scoring.steps * cams.length;
  return { cpuMsPerStep: cpu / steps, steps, changes };
}
