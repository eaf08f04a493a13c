import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NormalHereNoticeSchema, type NormalHereNotice, type NormalHereOutcome, type SceneFeedbackSink } from '../contracts/scene-feedback.js';
import type { FleetKeys } from './keys.js';

/** Notices are small and only matter while a camera keeps its scene model; the stream keeps the latest few thousand. */
const STREAM_MAX_LEN = 5_000;

/** `patrol serve`'s side: a reviewer's "normal here" goes on the fleet's stream for whichever worker holds the camera. */
export class NormalHerePublisher implements SceneFeedbackSink {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
  ) {}

  async normalHere(notice: NormalHereNotice): Promise<NormalHereOutcome> {
    await this.redis.xadd(this.keys.normalHere, 'MAXLEN', '~', String(STREAM_MAX_LEN), '*', 'notice', JSON.stringify(notice));
    return 'sent';
  }
}

/**
 * A worker's side: reads the stream from where it joined and applies each notice to the camera if this
 * worker analyzes it. A camera another worker takes over later needs none: its new scene model starts from
 * the view as it is, the accepted object included.
 */
export class NormalHereReader {
  /** The last entry seen; undefined until pinned to the stream's newest at start (or once Redis answers). */
  private lastId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  readonly stats = { applied: 0, ignored: 0, malformed: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    /** True when the camera's scene model here took it. */
    private readonly apply: (notice: NormalHereNotice) => boolean,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  /** Pins the starting point and polls every `pollMs`; with Redis down it keeps trying each poll. */
  async start(): Promise<void> {
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.pollMs);
    this.timer.unref();
    this.polling = this.poll().finally(() => (this.polling = undefined));
    await this.polling;
  }

  /** Reads and applies whatever arrived since the last poll; Redis errors are retried on the next one. */
  async poll(): Promise<void> {
    let batch: [string, [string, string[]][]][] | null;
    try {
      if (this.lastId === undefined) {
        // '$' means "after the newest" only to a blocking read; pin it to an id so polls neither miss nor replay.
        const newest = (await this.redis.xrevrange(this.keys.normalHere, '+', '-', 'COUNT', 1))[0];
        this.lastId = newest ? newest[0] : '0-0';
      }
      batch = (await this.redis.xread('COUNT', 100, 'STREAMS', this.keys.normalHere, this.lastId)) as [string, [string, string[]][]][] | null;
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'normal-here: stream read failed (retrying next poll)');
      return;
    }
    for (const [, entries] of batch ?? []) {
      for (const [id, fields] of entries) {
        this.lastId = id;
        const notice = parseNotice(fields);
        if (!notice) {
          this.stats.malformed++;
          this.logger.warn({ id }, 'normal-here: malformed notice on the stream, skipped');
          continue;
        }
        if (this.apply(notice)) {
          this.stats.applied++;
          this.logger.info({ camera: notice.cameraId, event: notice.eventId, by: notice.by }, 'scene: reviewer marked the region normal here; it joins the reference');
        } else this.stats.ignored++;
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }
}

function parseNotice(fields: string[]): NormalHereNotice | undefined {
  const i = fields.indexOf('notice');
  if (i < 0 || i + 1 >= fields.length) return undefined;
  try {
    const parsed = NormalHereNoticeSchema.safeParse(JSON.parse(fields[i + 1]!));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
