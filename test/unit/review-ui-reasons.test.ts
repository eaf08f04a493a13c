import { describe, expect, it } from 'vitest';
import { diagnoseExit } from '../../src/decode/ffmpeg-stderr.js';
import { diagnoseSessionEnd } from '../../src/ingest/rtsp-supervisor.js';
import { RtspError, type RtspErrorKind } from '../../src/ingest/rtsp/errors.js';
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
  it('names the native client\'s reasons (rtsp-supervisor.ts), numbers in them not mistaken for a status', () => {
    const url = 'rtsp://127.0.0.1:40401/cam';
    const reasons: [RtspErrorKind, string, string][] = [
      ['timeout', 'no media for 10401 ms', 'timeout'],
      ['timeout', 'no usable media for 10403 ms (401403 bytes arrived, none of them RTP of the video track)', 'unreadable'],
      ['timeout', 'no media for 10020 ms, and no answer to GET_PARAMETER in 10000 ms', 'timeout'],
      ['session_not_found', 'PLAY answered 454 Session Not Found', 'ended'],
      ['unauthorized', 'DESCRIBE refused the credentials (401, digest)', 'auth'],
      ['closed', 'the server closed the connection (playing)', 'ended'],
      ['protocol', 'the server sent 262200 bytes that are not RTSP', 'notRtsp'],
    ];
    for (const [kind, message, expected] of reasons) {
      const { reason } = diagnoseSessionEnd(new RtspError(kind, message), url);
      expect(reasonKind(reason), reason).toBe(expected);
    }
  });


  it.each(CASES)('names the kind of the ingest diagnosis (%s: %s)', (kind, lastWords, expected) => {
    const { reason } = diagnoseExit(lastWords, kind);
    expect(reasonKind(reason)).toBe(expected);
  });

  it('names the watchdog, a closed stream and a missing ffmpeg, and has both languages for every kind', () => {
    expect(reasonKind('no frame for 30 s (watchdog): stream stalled or camera too slow to answer')).toBe('stalled');
    expect(reasonKind('stream ended: the server closed the connection')).toBe('ended');
    expect(reasonKind('cannot run ffmpeg (/usr/bin/ffmpeg): spawn ENOENT')).toBe('noFfmpeg');
    expect(reasonKind('something nobody has seen before')).toBeUndefined();
    const kinds = [...CASES.map((c) => c[2]), 'stalled', 'ended', 'noFfmpeg', 'unreadable'];
    for (const k of kinds) {
      expect(DICT.zh[`camera.reason.${k}`], k).toBeTruthy();
      expect(DICT.en[`camera.reason.${k}`], k).toBeTruthy();
    }
  });
});
