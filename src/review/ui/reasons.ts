// Camera failure reasons arrive as English sentences (the ingest layer's diagnosis of ffmpeg's last words,
// src/decode/ffmpeg-stderr.ts). Each known kind gets a headline in the reader's language; the original
// text stays below it, since it names the host or file that failed.

const KINDS: readonly [kind: string, pattern: RegExp][] = [
  // Whole numbers only: "no media for 10401 ms" is a timeout, not a 401.
  ['auth', /^authentication failed|\b401\b|unauthorized/i],
  ['forbidden', /^access forbidden|\b403\b|forbidden/i],
  ['notFound', /^stream not found|\b404\b/i],
  ['fileNotFound', /^file not found|no such file/i],
  ['badFile', /^not a readable video file/i],
  ['notRtsp', /^no valid RTSP answer/i],
  ['unreadable', /^stream unreadable/i],
  ['refused', /^connection refused|connection refused/i],
  ['timeout', /^timed out|timed out|timeout/i],
  ['unreachable', /^host unreachable|unreachable|no route/i],
  ['stalled', /watchdog|^no frame for/i],
  ['ended', /^stream ended/i],
  ['noFfmpeg', /^cannot run ffmpeg/i],
];

/** The i18n key (`camera.reason.<kind>`) for a reason, or undefined when it is of no known kind. */
export function reasonKind(reason: string): string | undefined {
  return KINDS.find(([, re]) => re.test(reason))?.[0];
}
