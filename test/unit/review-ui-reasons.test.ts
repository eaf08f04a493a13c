import { describe, expect, it } from 'vitest';
import { diagnoseExit } from '../../src/decode/ffmpeg-stderr.js';
import { reasonKind } from '../../src/review/ui/reasons.js';
import { DICT } from '../../src/review/ui/i18n.js';

/** ffmpeg's last words as cameras and files produce them, and the kind the Cameras page should name. */
const CASES: [kind: 'rtsp' | 'file', lastWords: string, expected: string][] = [
  ['rtsp', 'rtsp://cam/live: Server returned 401 Unauthorized (authorization failed)', 'auth'],
  ['rtsp', 'rtsp://cam/live: Server returned 403 Forbidden (access denied)', 'forbidden'],
  ['rtsp', 'rtsp://cam/live: Server returned 404 Not Found', 'notFound'],
  ['file', '/srv/x.mp4: No such file or directory', 'fileNotFound'],
  ['file', '/srv/x.mp4: Invalid data found when processing input', 'badFile'],
  ['rtsp', 'rtsp://cam/live: Invalid data found when processing input', 'notRtsp'],
  ['rtsp', 'Connection to tcp://10.0.0.9:554?timeout=5000000 failed: Connection refused', 'refused'],
  ['rtsp', 'Connection to tcp://10.0.0.9:554 failed: Connection timed out', 'timeout'],
  ['rtsp', 'Connection to tcp://10.0.0.9:554 failed: No route to host', 'unreachable'],
];

describe('camera failure reasons in the UI', () => {
  it.each(CASES)('names the kind of the ingest diagnosis (%s: %s)', (kind, lastWords, expected) => {
    const { reason } = diagnoseExit(lastWords, kind);
    expect(reasonKind(reason)).toBe(expected);
  });

  it('names the watchdog, a closed stream and a missing ffmpeg, and has both languages for every kind', () => {
    expect(reasonKind('no frame for 30 s (watchdog): stream stalled or camera too slow to answer')).toBe('stalled');
    expect(reasonKind('stream ended: the server closed the connection')).toBe('ended');
    expect(reasonKind('cannot run ffmpeg (/usr/bin/ffmpeg): spawn ENOENT')).toBe('noFfmpeg');
    expect(reasonKind('something nobody has seen before')).toBeUndefined();
    const kinds = [...CASES.map((c) => c[2]), 'stalled', 'ended', 'noFfmpeg'];
    for (const k of kinds) {
      expect(DICT.zh[`camera.reason.${k}`], k).toBeTruthy();
      expect(DICT.en[`camera.reason.${k}`], k).toBeTruthy();
    }
  });
});
