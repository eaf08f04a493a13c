import type { Detection } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import type { Evidence, EventChange, PatrolEvent } from '../contracts/event.js';
import type { TrackReport } from '../score/scorer.js';
import { trackKey } from '../score/zone-filter.js';
import type { ViolationType } from '../contracts/violation.js';
import { renderSnapshot, type SnapshotOptions } from './snapshot.js';
import { evidenceRelPath, removeEvidenceFile, writeEvidenceFile } from './store-files.js';

/**
 * Evidence for one camera's events: the snapshot (best frame, boxes drawn) and, for persistent
 * violations, the persistence proof: the picture at first sight, when the dwell rule was met, and at
 * the latest sighting. Every file's SHA-256 goes into `event.evidence.sha256`.
 *
 * The scorer is pure and keeps no pictures, so this keeps the few it needs: a copy of the frame in which
 * a candidate was first seen (until the event opens and writes it, or the candidate lapses) and of the
 * frame with an open event's newest peak (until a change lets it be written). At most one copy per
 * (zone, type) track, never one per frame.
 *
 * Files are never rewritten in place: each version gets its own name (frame time in base36) and the
 * event points to the newest, so a reviewer never sees a file whose hash disagrees with the record it
 * came with. Superseded versions of `snapshot` and `latest` are deleted once two newer ones exist, which
 * leaves a consumer one message of slack.
 */

export interface EvidenceRecorderOptions {
  storageDir: string;
  /** Types that get the first-seen / confirmed / latest proof (default stall and dumping). */
  proofTypes?: readonly ViolationType[];
  snapshot?: SnapshotOptions;
  /** Versions of `snapshot` and `latest` kept on disk (default 2). */
  keepVersions?: number;
  /** Replaceable for tests. */
  render?: (frame: Frame, detections: readonly Detection[], opts: SnapshotOptions) => Promise<Buffer>;
  /**
   * A file that could not be written. The event still goes out, without that file. Without this
   * handler the error is thrown, which stops the rest of this frame's changes: pass one that logs.
   */
  onError?: (err: unknown, where: { eventId: string; file: string }) => void;
}

type EvidenceFile = 'snapshot' | 'frame' | 'firstSeen' | 'confirmed' | 'latest';
type Versioned = 'snapshot' | 'frame' | 'latest';

interface HeldFrame {
  kind: 'first' | 'peak';
  /** Frame time: the candidate's first sighting, or the event's peakAt. */
  at: number;
  frame: Frame;
  boxes: readonly Detection[];
}

interface Picture {
  frame: Frame;
  boxes: readonly Detection[];
}

const b36 = (ms: number) => Math.floor(ms).toString(36);

function copyFrame(frame: Frame): Frame {
  return { ...frame, data: Buffer.from(frame.data) };
}

export class EvidenceRecorder {
  private readonly proofTypes: ReadonlySet<ViolationType>;
  private readonly keepVersions: number;
  private readonly render: NonNullable<EvidenceRecorderOptions['render']>;
  /** Per track key. */
  private readonly held = new Map<string, HeldFrame>();
  /** Per open event id: evidence so far, the peakAt its snapshot shows, written versions. */
  private readonly evidence = new Map<string, Evidence>();
  private readonly snapshotPeakAt = new Map<string, number>();
  private readonly versions = new Map<string, Record<Versioned, string[]>>();

  constructor(private readonly opts: EvidenceRecorderOptions) {
    this.proofTypes = new Set(opts.proofTypes ?? ['stall', 'dumping']);
    this.keepVersions = Math.max(1, opts.keepVersions ?? 2);
    this.render = opts.render ?? renderSnapshot;
  }

  /** Frame copies held right now (bounded by the number of tracks). */
  get heldFrames(): number {
    return this.held.size;
  }

  /**
   * Call for every analyzed frame, after the scorer's step, with the tracks it reported. Copies the frame
   * only when a candidate is first seen in it or an open event's peak rose in it; drops copies that are no
   * longer needed.
   */
  observe(tracks: readonly TrackReport[], frame: Frame): void {
    const keep = new Set<string>();
    for (const tr of tracks) {
      const key = tr.key;
      const held = this.held.get(key);
      if (tr.event) {
        const ev = tr.event;
        // Opened on this frame and not yet attached: the first-sight copy is still needed.
        if (held?.kind === 'first' && held.at === ev.startedAt && !this.evidence.has(ev.id)) keep.add(key);
        else if (ev.peakAt === frame.timestamp && this.snapshotPeakAt.get(ev.id) !== ev.peakAt) {
          this.held.set(key, { kind: 'peak', at: frame.timestamp, frame: copyFrame(frame), boxes: ev.bestBoxes });
          keep.add(key);
        } else if (held?.kind === 'peak') keep.add(key);
        continue;
      }
      const c = tr.candidate;
      if (!c || !this.proofTypes.has(tr.type)) continue;
      if (held?.kind === 'first' && held.at === c.since) keep.add(key);
      else if (c.since === frame.timestamp) {
        this.held.set(key, { kind: 'first', at: c.since, frame: copyFrame(frame), boxes: c.firstBoxes });
        keep.add(key);
      }
    }
    for (const key of [...this.held.keys()]) if (!keep.has(key)) this.held.delete(key);
  }

  /**
   * The changes of one analyzed frame with their evidence written and recorded. `frame` and `tracks` (the
   * scorer's report) are that frame's. Works without `observe` too, minus the first-sight picture and
   * peaks that rose without an emitted change.
   */
  async attach(changes: readonly EventChange[], frame: Frame, tracks: readonly TrackReport[]): Promise<EventChange[]> {
    const out: EventChange[] = [];
    for (const change of changes) {
      const event = await this.record(change, frame, tracks);
      out.push({ kind: change.kind, event } as EventChange);
    }
    return out;
  }

  /** Same as `attach`, returning just the updated events. */
  async onChanges(changes: readonly EventChange[], frame: Frame, tracks: readonly TrackReport[]): Promise<PatrolEvent[]> {
    return (await this.attach(changes, frame, tracks)).map((c) => c.event);
  }

  /**
   * Evidence recorded elsewhere for an open event (its clip), so the event's later changes carry it too.
   * Ignored once the event is no longer open here.
   */
  addFile(eventId: string, field: 'clip', relPath: string, sha256: string): void {
    const prior = this.evidence.get(eventId);
    if (!prior) return;
    this.evidence.set(eventId, { ...prior, [field]: relPath, sha256: { ...prior.sha256, [relPath]: sha256 } });
  }

  /**
   * The scene model's before/after picture of an event that just opened: written like the other files and
   * carried by the event's later changes.
   */
  async addBeforeAfter(event: PatrolEvent, jpeg: Buffer): Promise<PatrolEvent> {
    const relPath = evidenceRelPath(event.cameraId, event.startedAt, event.id, `before-after-${b36(event.confirmedAt)}.jpg`);
    let written;
    try {
      written = await writeEvidenceFile(this.opts.storageDir, relPath, jpeg);
    } catch (err) {
      if (!this.opts.onError) throw err;
      this.opts.onError(err, { eventId: event.id, file: relPath });
      return event;
    }
    const add = (e: Evidence): Evidence => ({ ...e, beforeAfter: written.relPath, sha256: { ...e.sha256, [written.relPath]: written.sha256 } });
    const prior = this.evidence.get(event.id);
    if (prior) this.evidence.set(event.id, add(prior));
    return { ...event, evidence: add(event.evidence) };
  }

  /** After a restart: carry on from the evidence already recorded for these open events. */
  restore(events: readonly PatrolEvent[]): void {
    for (const ev of events) {
      if (ev.endedAt !== null) continue;
      this.evidence.set(ev.id, ev.evidence);
      if (ev.evidence.snapshot !== undefined && ev.peakAt !== undefined) this.snapshotPeakAt.set(ev.id, ev.peakAt);
      this.versions.set(ev.id, {
        snapshot: ev.evidence.snapshot ? [ev.evidence.snapshot] : [],
        frame: ev.evidence.frame ? [ev.evidence.frame] : [],
        latest: ev.evidence.latest && ev.evidence.latest !== ev.evidence.confirmed ? [ev.evidence.latest] : [],
      });
    }
  }

  private async record(change: EventChange, frame: Frame, tracks: readonly TrackReport[]): Promise<PatrolEvent> {
    const ev = change.event;
    const key = trackKey(ev.zoneId, ev.type);
    const hits = tracks.find((tr) => tr.key === key)?.hits ?? [];
    const prior = this.evidence.get(ev.id) ?? ev.evidence;
    const evidence: Evidence = { ...prior, sha256: { ...prior.sha256 } };
    const versions = this.versions.get(ev.id) ?? { snapshot: [], frame: [], latest: [] };
    const now = frame.timestamp;
    const seenNow = ev.lastSeenAt === now;
    const current: Picture = { frame, boxes: seenNow ? hits.map((d) => ({ ...d, box: [d.box[0], d.box[1], d.box[2], d.box[3]] })) : [] };
    const held = this.held.get(key);

    const put = async (field: EvidenceFile, name: string, pic: Picture): Promise<boolean> => {
      const relPath = evidenceRelPath(ev.cameraId, ev.startedAt, ev.id, name);
      try {
        const jpeg = await this.render(pic.frame, pic.boxes, { title: `${ev.cameraId} ${ev.zoneId} ${ev.type}`, ...this.opts.snapshot });
        const written = await writeEvidenceFile(this.opts.storageDir, relPath, jpeg);
        evidence[field] = written.relPath;
        evidence.sha256[written.relPath] = written.sha256;
      } catch (err) {
        if (!this.opts.onError) throw err;
        this.opts.onError(err, { eventId: ev.id, file: relPath });
        return false;
      }
      if (field === 'snapshot' || field === 'frame' || field === 'latest') await this.prune(ev.id, evidence, versions[field], relPath);
      return true;
    };
    // The snapshot, and the same picture without boxes for the review UI's box toggle.
    const putSnapshot = async (at: number, pic: Picture): Promise<boolean> => {
      const ok = await put('snapshot', `snapshot-${b36(at)}.jpg`, pic);
      // An older frame under newer boxes would mislead: without this one the UI shows the snapshot alone.
      if (ok && !(await put('frame', `frame-${b36(at)}.jpg`, { frame: pic.frame, boxes: [] }))) delete evidence.frame;
      return ok;
    };

    if (change.kind === 'opened' && this.proofTypes.has(ev.type)) {
      const first: Picture | undefined =
        ev.startedAt === now ? current : held?.kind === 'first' && held.at === ev.startedAt ? held : undefined;
      if (first) await put('firstSeen', `first-seen-${b36(ev.startedAt)}.jpg`, first);
      if (await put('confirmed', `confirmed-${b36(now)}.jpg`, current)) evidence.latest = evidence.confirmed;
    }
    if (held?.kind === 'first' && change.kind === 'opened') this.held.delete(key);

    // The snapshot shows the peak frame when we have it; else, for a new event, the current frame.
    if (this.snapshotPeakAt.get(ev.id) !== ev.peakAt || evidence.snapshot === undefined) {
      // A held first-sight copy serves too when the peak was the first sighting.
      const peakHeld = held && held.at === ev.peakAt ? held : undefined;
      const peak: Picture | undefined = ev.peakAt === now ? { frame, boxes: ev.bestBoxes } : peakHeld && { frame: peakHeld.frame, boxes: ev.bestBoxes };
      if (peak) {
        if (await putSnapshot(ev.peakAt ?? now, peak) && ev.peakAt !== undefined) this.snapshotPeakAt.set(ev.id, ev.peakAt);
        if (peakHeld) this.held.delete(key);
      } else if (evidence.snapshot === undefined && seenNow) {
        await putSnapshot(now, current);
      }
    }

    if (change.kind === 'updated' && seenNow && this.proofTypes.has(ev.type) && evidence.latest !== undefined) {
      await put('latest', `latest-${b36(now)}.jpg`, current);
    }

    if (change.kind === 'ended') {
      this.evidence.delete(ev.id);
      this.snapshotPeakAt.delete(ev.id);
      this.versions.delete(ev.id);
      if (this.held.get(key)?.kind === 'peak') this.held.delete(key);
    } else {
      this.evidence.set(ev.id, evidence);
      this.versions.set(ev.id, versions);
    }
    return { ...ev, evidence };
  }

  /** Deletes versions of a field beyond the newest `keepVersions`, and forgets their hashes. */
  private async prune(eventId: string, evidence: Evidence, list: string[], added: string): Promise<void> {
    if (!list.includes(added)) list.push(added);
    while (list.length > this.keepVersions) {
      const old = list.shift()!;
      // The confirmed picture doubles as the first `latest`; it is proof and is never removed.
      if (old === evidence.confirmed || old === evidence.firstSeen) continue;
      delete evidence.sha256[old];
      try {
        await removeEvidenceFile(this.opts.storageDir, old);
      } catch (err) {
        if (!this.opts.onError) throw err;
        this.opts.onError(err, { eventId, file: old });
      }
    }
  }
}
