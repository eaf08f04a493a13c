import { describe, expect, it } from 'vitest';
import { diagnoseExit, FfmpegStderr } from '../../src/decode/ffmpeg-stderr.js';

const HEADER = `Input #0, mpegts, from 'clip.ts':
  Duration: 00:00:10.00, start: 1.400000, bitrate: 615 kb/s
  Program 1
    Metadata:
      creation_time   : 2024-05-01T08:30:00.000000Z
  Stream #0:0[0x100]: Video: h264 (Constrained Baseline) ([27][0][0][0] / 0x001B), yuv420p(progressive), 704x576 [SAR 12:11 DAR 4:3], 25 fps, 25 tbr, 90k tbn
Stream mapping:
  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
Output #0, rawvideo, to 'pipe:1':
  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 416x416 [SAR 935:936 DAR 935:936], q=2-31, 103833 kb/s, 25 fps, 25 tbn
`;

describe('FfmpegStderr', () => {
  it('reads the input size (not the output size) and the creation time', () => {
    const p = new FfmpegStderr();
    expect(p.push(HEADER)).toEqual([
      { kind: 'creation-time', epochMs: Date.parse('2024-05-01T08:30:00Z') },
      { kind: 'input-video', width: 704, height: 576 },
    ]);
  });

  it('reads showinfo frame lines, split across chunks, with number, pts and decoded size', () => {
    const p = new FfmpegStderr();
    const line1 = '[Parsed_showinfo_1 @ 0x55cf64e67380] n:   0 pts:      0 pts_time:0       pos:      564 fmt:yuv420p sar:1/1 s:704x576 i:P iskey:1 type:I \n';
    const line2 = '[Parsed_showinfo_1 @ 0x55cf64e67380] n:  12 pts: 180000 pts_time:2.5     duration:   3600 fmt:yuv420p s:1280x720 i:P iskey:1\n';
    const side = '[Parsed_showinfo_1 @ 0x55cf64e67380]   side data - User Data Unregistered:\n';
    const events = [...p.push(line1.slice(0, 50)), ...p.push(line1.slice(50) + side + line2.slice(0, 70)), ...p.push(line2.slice(70))];
    expect(events).toEqual([
      { kind: 'frame', n: 0, ptsMs: 0, width: 704, height: 576 },
      { kind: 'frame', n: 12, ptsMs: 2500, width: 1280, height: 720 },
    ]);
  });

  it('keeps the last error-looking line as the reason, not showinfo or stream noise', () => {
    const p = new FfmpegStderr();
    p.push('[tcp @ 0x5] Connection to tcp://127.0.0.1:1?timeout=5000000 failed: Connection refused\n');
    p.push('rtsp://u:p@127.0.0.1:1/cam: Connection refused\n');
    p.push('[Parsed_showinfo_1 @ 0x1] n:   3 pts: 1 pts_time:1 s:2x2\n');
    expect(p.lastMessage).toBe('rtsp://u:p@127.0.0.1:1/cam: Connection refused');
    p.push('[rtsp @ 0x5626a2331a40] method DESCRIBE failed: 404 Not Found\n');
    expect(p.lastMessage).toBe('rtsp: method DESCRIBE failed: 404 Not Found');
  });

  it('gives pts in ms without floating-point noise', () => {
    const [ev] = new FfmpegStderr().push('[Parsed_showinfo_1 @ 0x1] n:   1 pts: 175977 pts_time:1.95531 pos: -1 s:704x576 i:P\n');
    expect(ev).toEqual({ kind: 'frame', n: 1, ptsMs: 1955.31, width: 704, height: 576 });
  });

  it('flushes an unterminated last line at exit', () => {
    const p = new FfmpegStderr();
    p.push('clip.ts: No such file or directory');
    expect(p.lastMessage).toBeUndefined();
    p.end();
    expect(p.lastMessage).toBe('clip.ts: No such file or directory');
  });
});

describe('diagnoseExit', () => {
  it('marks wrong credentials, wrong paths and missing files permanent', () => {
    expect(diagnoseExit('rtsp://cam/1: Server returned 401 Unauthorized (authorization failed)', 'rtsp')).toMatchObject({ permanent: true });
    expect(diagnoseExit('rtsp://cam/1: Server returned 401 Unauthorized (authorization failed)', 'rtsp').reason).toMatch(/^authentication failed/);
    expect(diagnoseExit('rtsp://cam/1: Server returned 404 Not Found', 'rtsp')).toMatchObject({ permanent: true });
    expect(diagnoseExit('/x/clip.ts: No such file or directory', 'file')).toMatchObject({ permanent: true });
    expect(diagnoseExit('/x/clip.ts: Invalid data found when processing input', 'file')).toMatchObject({ permanent: true });
  });

  it('keeps network trouble transient, with a reason an operator can act on', () => {
    expect(diagnoseExit('rtsp://127.0.0.1:1/cam: Connection refused', 'rtsp')).toEqual({
      permanent: false,
      reason: 'connection refused: camera or server down, or wrong port — rtsp://127.0.0.1:1/cam: Connection refused',
    });
    expect(diagnoseExit('rtsp://10.0.0.9/cam: Connection timed out', 'rtsp')).toMatchObject({ permanent: false, reason: expect.stringMatching(/^timed out/) });
    // A port holding the digits 401 or 403 is not a status (a faults test failed on port 44013 as "authentication failed").
    expect(diagnoseExit('rtsp://127.0.0.1:44013/killed: Connection refused', 'rtsp')).toMatchObject({ permanent: false, reason: expect.stringMatching(/^connection refused/) });
    expect(diagnoseExit('rtsp://127.0.0.1:40310/cam: Connection refused', 'rtsp')).toMatchObject({ permanent: false });
    expect(diagnoseExit('rtsp://cam/1: Invalid data found when processing input', 'rtsp')).toMatchObject({
      permanent: false,
      reason: expect.stringMatching(/^no valid RTSP answer: the server stalled past the socket timeout/),
    });
    expect(diagnoseExit(undefined, 'rtsp')).toEqual({ permanent: false, reason: 'ffmpeg exited without a message' });
  });
});
