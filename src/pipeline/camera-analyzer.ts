import type { CameraConfig } from '../config/schema.js';
import type { Detections } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import type { EventChange, PatrolEvent } from '../contracts/event.js';
import type { Rules } from '../score/rules.js';
import { createCameraScoreState, openEvents, restore, step, type CameraScoreState, type TrackReport } from '../score/scorer.js';
import { jobIdFor, type DispatchQueue } from '../dispatch/queue.js';
import { withClip } from '../evidence/clip-recorder.js';
import { acceptAsNormal, novelty, sceneStep, type SceneState } from '../scene/model.js';
import { MAX_SCENE_RESUME_GAP_MS, type ScenePort } from '../scene/snapshot.js';
import { gateByScene, SCENE_LABEL, sceneDetections } from '../score/scene-fusion.js';
import { renderBeforeAfter } from '../evidence/before-after.js';
import type { Box } from '../contracts/box.js';

/** Keeps the frames evidence needs (first sighting, peak) and attaches snapshots to the events a frame changed. */
export interface EvidencePort {
  observe(tracks: readonly TrackReport[], frame: Frame): void;
  attach(changes: EventChange[], frame: Frame, tracks: readonly TrackReport[]): Promise<EventChange[]>;
  restore(events: readonly PatrolEvent[]): void;
  addFile?(eventId: string, field: 'clip', relPath: string, sha256: string): void;
  /** Records the scene model's before/after picture of an event that just opened. */
  addBeforeAfter?(event: PatrolEvent, jpeg: Buffer): Promise<PatrolEvent>;
}

/** Cuts an event's video clip from the camera's recent-video ring once its post-roll is recorded. */
export interface ClipPort {
  request(event: PatrolEvent): Promise<{ relPath: string; sha256: string } | undefined>;
}

/**
 * Remembers open events (and recently ended ones, for their cooldown), so a restarted pipeline continues
 * them instead of opening duplicates.
 */
export interface OpenEventsPort {
  load(cameraId: string): PatrolEvent[];
  save(cameraId: string, open: PatrolEvent[]): void;
}

export interface AnalyzerCounters {
  frames: number;
  opened: number;
  ended: number;
}

/**
 * Everything Patrol does with one camera's analyzed frames: score, attach evidence, publish. State lives
 * here (one scorer state per camera); the scoring itself is the pure `step` reducer.
 */
export class CameraAnalyzer {
  private state: CameraScoreState;
  readonly counters: AnalyzerCounters = { frames: 0, opened: 0, ended: 0 };
  /** The last analyzed frame left a candidate or an open event on the camera (a toured camera stays connected). */
  attention = false;

  constructor(
    readonly camera: CameraConfig,
    private readonly rules: Rules,
    private readonly queue: DispatchQueue,
    private readonly evidence: EvidencePort,
    private readonly openStore?: OpenEventsPort,
    private readonly onChange?: (change: EventChange) => void,
    private readonly clips?: ClipPort,
    private readonly sceneStore?: ScenePort,
  ) {
    this.restoredScene = sceneStore?.load(camera.id);
    const recovered = openStore?.load(camera.id) ?? [];
    this.state = recovered.length > 0 ? restore(recovered, rules) : createCameraScoreState();
    this.recentlyEnded = recovered.filter((e) => e.endedAt !== null);
    evidence.restore(openEvents(this.state));
    for (const e of recovered) this.published.set(e.id, e);
    // A clip that was still being cut when the process stopped is requested again (the ring is on disk).
    for (const e of openEvents(this.state)) if (!e.evidence.clip) this.requestClip(e);
  }

  /** The latest version of each open or recently ended event as published, evidence included. */
  private readonly published = new Map<string, PatrolEvent>();
  private pendingClips: Promise<void> = Promise.resolve();

  private recentlyEnded: PatrolEvent[];

  /** The scene model of this camera; null until its first frame (which becomes the baseline). */
  private scene: SceneState | null = null;
  /** A saved scene model, taken up at the first frame if it is recent enough. */
  private restoredScene: SceneState | undefined;
  private sceneSavedAt = -Infinity;

  private get sceneOn(): boolean {
    return this.camera.scene !== false && (this.camera.violations.includes('stall') || this.camera.violations.includes('dumping'));
  }

  /** The detector's boxes plus the scene model's static regions that mean a violation in a zone. */
  private withScene(frame: Frame, detections: Detections): Detections {
    if (!this.sceneOn) return detections;
    if (this.scene === null && this.restoredScene) this.scene = this.resume(this.restoredScene, frame.timestamp);
    this.restoredScene = undefined;
    const res = sceneStep(this.scene, { pixels: frame, t: frame.timestamp, boxes: detections.items });
    this.scene = res.state;
    const extra = sceneDetections(res.regions, this.camera, frame.timestamp);
    const state = res.state;
    // Before the first frame has a reference (this frame is it) everything is baseline.
    const novel = res.rereferenced ? () => false : (box: Box) => novelty(state, box) >= 0.15;
    return { ...detections, items: [...gateByScene(detections.items, res.regions, novel), ...extra] };
  }

  /** Opened events on a scene-model region get the before/after pair (reference crop vs now). */
  private async withBeforeAfter(changes: EventChange[], frame: Frame): Promise<EventChange[]> {
    const scene = this.scene;
    const add = this.evidence.addBeforeAfter?.bind(this.evidence);
    if (!scene || !add) return changes;
    return Promise.all(
      changes.map(async (change) => {
        const region = change.kind === 'opened' ? change.event.bestBoxes.find((b) => b.label === SCENE_LABEL) : undefined;
        if (!region) return change;
        const jpeg = await renderBeforeAfter(scene.picture, scene.grid, frame, region.box);
        return { ...change, event: await add(change.event, jpeg) };
      }),
    );
  }

  /**
   * Continues a saved scene model, unless it is too old or from the future (a replayed file). The gap counts
   * as one analysis interval: time the camera was not watched must not age regions into events unseen.
   */
  private resume(saved: SceneState, t: number): SceneState | null {
    const gap = t - saved.lastAt;
    if (!(gap > 0 && gap <= MAX_SCENE_RESUME_GAP_MS)) return null;
    const step = Math.min(gap, this.camera.intervalSec * 1000);
    return { ...saved, lastAt: t - step };
  }

  /** Saves the scene model now (pipeline: before a camera is removed or the process stops). */
  saveScene(): void {
    if (this.scene && this.sceneStore) {
      this.sceneStore.save(this.camera.id, this.scene);
      this.sceneSavedAt = this.scene.lastAt;
    }
  }

  /** The view changed (camera health: shifted): the next frame is the new baseline. */
  rereference(): void {
    this.scene = null;
    this.restoredScene = undefined;
  }

  /** A reviewer's "normal here": what is in this box now joins the reference. False without a scene model yet. */
  acceptAsNormal(box: Box): boolean {
    if (!this.scene) return false;
    this.scene = acceptAsNormal(this.scene, box);
    return true;
  }

  async handle(frame: Frame, raw: Detections): Promise<void> {
    this.counters.frames++;
    const detections = this.withScene(frame, raw);
    const result = step(this.state, { detections, analyzedAt: frame.timestamp }, { camera: this.camera, rules: this.rules });
    this.state = result.state;
    this.attention = result.tracks.some((t) => t.event !== null || t.candidate !== null);
    this.evidence.observe(result.tracks, frame);
    if (this.sceneStore && this.scene && (result.changes.length > 0 || this.scene.lastAt - this.sceneSavedAt >= this.sceneStore.saveEveryMs)) this.saveScene();
    if (result.changes.length === 0) return;
    const changes = await this.withBeforeAfter(await this.evidence.attach(result.changes, frame, result.tracks), frame);
    for (const change of changes) {
      if (change.kind === 'opened') this.counters.opened++;
      if (change.kind === 'ended') {
        this.counters.ended++;
        this.recentlyEnded.push(change.event);
      }
      // An update is named by the sighting it reports, so a replay after a restart names it the same way.
      const seq = change.kind === 'updated' ? change.event.lastSeenAt : 0;
      await this.queue.publish({ jobId: jobIdFor(change.kind, change.event.id, seq), kind: change.kind, event: change.event, publishedAt: Date.now() });
      this.published.set(change.event.id, change.event);
      this.onChange?.(change);
      if (change.kind === 'opened') this.requestClip(change.event);
    }
    // Saved after publishing: a crash in between re-publishes the same job ids, which the queue dedupes.
    this.recentlyEnded = this.recentlyEnded.filter((e) => (e.endedAt ?? 0) + this.cooldownMs(e) > frame.timestamp);
    this.saveOpen();
  }

  /** Resolves when every clip requested so far has been cut and published. */
  clipsSettled(): Promise<void> {
    return this.pendingClips;
  }

  private saveOpen(): void {
    const keep = new Set([...this.openEvents(), ...this.recentlyEnded].map((e) => e.id));
    for (const id of this.published.keys()) if (!keep.has(id)) this.published.delete(id);
    this.openStore?.save(this.camera.id, [...this.openEvents().map((e) => this.published.get(e.id) ?? e), ...this.recentlyEnded]);
  }

  private requestClip(event: PatrolEvent): void {
    if (!this.clips) return;
    const done = this.clips.request(event).then(async (clip) => {
      if (!clip) return;
      this.evidence.addFile?.(event.id, 'clip', clip.relPath, clip.sha256);
      const latest = this.published.get(event.id) ?? event;
      const updated = withClip(latest, clip);
      // Its own job id: the clip update must not be deduplicated against a sighting update.
      await this.queue.publish({ jobId: `${event.id}.clip`, kind: 'updated', event: updated, publishedAt: Date.now() });
      this.published.set(event.id, updated);
      this.onChange?.({ kind: 'updated', event: updated });
      this.saveOpen();
    });
    this.pendingClips = Promise.all([this.pendingClips, done.catch(() => undefined)]).then(() => undefined);
  }

  private cooldownMs(e: PatrolEvent): number {
    const rule = this.rules[e.type];
    return (rule.endAfterSec + rule.cooldownSec) * 1000;
  }

  openEvents(): PatrolEvent[] {
    return openEvents(this.state);
  }
}
