import type { Logger } from 'pino';
import type { PatrolConfig } from '../config/schema.js';
import type { DispatchQueue } from '../dispatch/queue.js';
import type { CameraRuntimeStatus } from '../contracts/camera-status.js';
import { resolveFfmpeg } from '../decode/ffmpeg-path.js';
import { openReviewStore } from '../review/store/review-store.js';
import { ensureAdmin } from '../review/auth/ensure-admin.js';
import { buildReviewServer } from '../review/server.js';
import { consumeIntoStore } from '../review/consumer.js';
import { LiveView } from '../review/live-view.js';
import { reviewSecurityOptions } from '../review/security-options.js';
import type { SceneFeedbackSink } from '../contracts/scene-feedback.js';

export interface ReviewHandle {
  url: string;
  close(): Promise<void>;
}

export interface StartReviewOptions {
  config: PatrolConfig;
  queue: DispatchQueue;
  logger: Logger;
  /** A camera's runtime state: this process's own (`patrol run`) or the fleet's through Redis (`patrol serve`). */
  getCameraStatus: (cameraId: string) => CameraRuntimeStatus | undefined;
  /** Where a reviewer's "normal here" goes: this process's pipeline (`patrol run`) or the fleet's stream (`patrol serve`). */
  sceneFeedback?: SceneFeedbackSink;
}

/**
 * The review service: the event store fed by the dispatch queue, and the API/UI on top of it. On first run
 * it prints the generated admin password once (to the terminal, not the log).
 */
export async function startReview(opts: StartReviewOptions): Promise<ReviewHandle> {
  const { config, queue, logger } = opts;
  const store = openReviewStore(config.storage.dir);
  const admin = await ensureAdmin(store);
  const liveView = new LiveView({ cameras: config.cameras, ffmpegPath: resolveFfmpeg().path, logger: logger.child({ part: 'live-view' }) });
  const app = buildReviewServer({
    store,
    storageDir: config.storage.dir,
    // Per-request lines would drown the pipeline's log; the review service's warnings and errors still show.
    logger: logger.child({ part: 'review' }, { level: process.env.PATROL_HTTP_LOG_LEVEL ?? 'warn' }),
    cameras: config.cameras,
    getCameraStatus: opts.getCameraStatus,
    liveView,
    sceneFeedback: opts.sceneFeedback,
    ...reviewSecurityOptions(config.review),
  });
  // Audit retention: now, then daily.
  const pruneAudit = () => {
    const n = store.audit.prune(config.review.auditRetentionDays);
    if (n > 0) logger.info({ deleted: n, days: config.review.auditRetentionDays }, 'review: old audit entries deleted');
  };
  pruneAudit();
  const pruneTimer = setInterval(pruneAudit, 86_400_000);
  pruneTimer.unref();
  await consumeIntoStore(queue, store, logger.child({ part: 'review' }));
  const address = await app.listen({ host: config.review.host, port: config.review.port });
  const url = address.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  const banner = [`\nReview UI: ${url}/`, `API docs:  ${url}/docs`];
  if (admin.created && admin.password) banner.push(`First run: log in as 'admin' with password ${admin.password}  (shown once; change it after logging in)`);
  else if (admin.created) banner.push("First run: log in as 'admin' with the password from PATROL_ADMIN_PASSWORD");
  process.stderr.write(`${banner.join('\n')}\n\n`);
  return {
    url,
    close: async () => {
      clearInterval(pruneTimer);
      await app.close();
      await liveView.close?.();
      store.close();
    },
  };
}
