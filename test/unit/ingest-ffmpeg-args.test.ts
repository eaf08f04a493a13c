import { describe, expect, it } from 'vitest';
import { buildDecodeArgs, decodeInputScript, letterboxContentSize, selectExpression, type DecodeArgsOptions } from '../../src/decode/ffmpeg-args.js';
import { childEnv, inputScript } from '../../src/decode/secret-input.js';
import type { FfmpegFeatures } from '../../src/decode/ffmpeg-path.js';

const modern: FfmpegFeatures = { fpsMode: true, rtspSocketTimeout: 'timeout', showinfoChecksumOption: true };
const ffmpeg2018: FfmpegFeatures = { fpsMode: false, rtspSocketTimeout: 'stimeout', showinfoChecksumOption: true };

const rtsp: DecodeArgsOptions = {
  input: { kind: 'rtsp', url: 'rtsp://u:p@cam/1', socketTimeoutMs: 5000 },
  decode: 'keyframe',
  intervalSec: 5,
  width: 416,
  height: 416,
  pixelFormat: 'rgb24',
  features: modern,
};

/** The value that follows `flag` in an argument list. */
function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('buildDecodeArgs', () => {
  it('RTSP: the URL and its options go into the fd-3 script, never the command line', () => {
    const args = buildDecodeArgs(rtsp);
    const input = args.indexOf('-i');
    expect(args.slice(input - 6, input + 2)).toEqual(['-f', 'concat', '-safe', '0', '-protocol_whitelist', expect.stringContaining('rtsp'), '-i', 'pipe:3']);
    expect(args.join(' ')).not.toContain('u:p');
    expect(args.join(' ')).not.toContain('rtsp://');
    expect(args).not.toContain('-rtsp_transport');
    expect(after(args, '-skip_frame')).toBe('nokey');
    expect(args.indexOf('-skip_frame')).toBeLessThan(input);
    expect(args).not.toContain('-re');
    expect(args).not.toContain('-stream_loop');
    expect(args).not.toContain('-analyzeduration');
    expect(decodeInputScript(rtsp.input, modern, true)).toBe(
      "ffconcat version 1.0\nfile 'rtsp://u:p@cam/1'\noption rtsp_transport 'tcp'\noption timeout '5000000'\n",
    );
    const quickInput = { ...rtsp.input, analyzeDurationMs: 1500 } as DecodeArgsOptions['input'];
    const quick = buildDecodeArgs({ ...rtsp, input: quickInput });
    expect(after(quick, '-analyzeduration')).toBe('1500000');
    expect(quick.indexOf('-analyzeduration')).toBeLessThan(quick.indexOf('-i'));
    expect(decodeInputScript(quickInput, modern, true)).toContain("option analyzeduration '1500000'");
    expect(decodeInputScript({ kind: 'file', path: '/v/a.ts', loop: false, realtime: false }, modern, true)).toBeUndefined();
  });

  it('script quoting: a quote in the URL cannot end the file line; old ffmpeg gets TCP through the URL', () => {
    expect(inputScript({ url: "rtsp://u:it's@cam/1", options: {}, concatOptions: true })).toBe("ffconcat version 1.0\nfile 'rtsp://u:it'\\''s@cam/1'\n");
    expect(() => inputScript({ url: 'rtsp://cam/1\nfile /etc/passwd', options: {}, concatOptions: true })).toThrow(/line break/);
    expect(inputScript({ url: 'rtsp://cam/1?ch=2', options: { rtsp_transport: 'tcp' }, concatOptions: false })).toBe("ffconcat version 1.0\nfile 'rtsp://cam/1?ch=2&tcp'\n");
  });

  it('rtspTransport udp reaches ffmpeg as rtsp_transport udp (or ?udp in the URL for an ffmpeg without concat options)', () => {
    const udpInput = { ...rtsp.input, rtspTransport: 'udp' } as DecodeArgsOptions['input'];
    expect(decodeInputScript(udpInput, modern, true)).toBe("ffconcat version 1.0\nfile 'rtsp://u:p@cam/1'\noption rtsp_transport 'udp'\noption timeout '5000000'\n");
    expect(decodeInputScript(udpInput, modern, false)).toBe("ffconcat version 1.0\nfile 'rtsp://u:p@cam/1?udp'\n");
    expect(buildDecodeArgs({ ...rtsp, input: udpInput })).not.toContain('udp');
    expect(decodeInputScript({ ...rtsp.input, rtspTransport: 'tcp' } as DecodeArgsOptions['input'], modern, true)).toContain("option rtsp_transport 'tcp'");
  });

  it('child environment keeps PATH and locale, drops everything else', () => {
    expect(childEnv({ PATH: '/bin', LANG: 'C.UTF-8', CAM_PASS: 'x', REDIS_URL: 'redis://:pw@h' })).toEqual({ PATH: '/bin', LANG: 'C.UTF-8' });
  });

  it('raw frames to stdout, one thread each side, no frame duplication', () => {
    const args = buildDecodeArgs(rtsp);
    expect(args.slice(-9)).toEqual(['-threads', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-flush_packets', '1', 'pipe:1']);
    expect(after(args, '-fps_mode')).toBe('passthrough');
    expect(args.filter((a) => a === '-threads')).toHaveLength(2);
    expect(args).toContain('-nostdin');
  });

  it('letterboxes at the top-left with grey 114, bilinear, sampling before scaling', () => {
    const vf = after(buildDecodeArgs({ ...rtsp, pixelFormat: 'bgr24' }), '-vf')!;
    const filters = vf.replace(/'[^']*'/g, "''").split(',').map((f) => f.split('=')[0]);
    expect(filters).toEqual(['select', 'showinfo', 'scale', 'format', 'pad']);
    expect(vf).toContain('scale=416:416:force_original_aspect_ratio=decrease:flags=bilinear');
    expect(vf).toContain('format=bgr24');
    expect(vf).toContain('pad=416:416:0:0:color=0x727272');
    expect(vf).toContain('showinfo=checksum=0');
  });

  it('uses -vsync 0 and -stimeout on a 2018 ffmpeg (there -timeout would mean listen)', () => {
    const args = buildDecodeArgs({ ...rtsp, features: ffmpeg2018 });
    expect(after(args, '-vsync')).toBe('0');
    expect(args).not.toContain('-fps_mode');
    expect(decodeInputScript(rtsp.input, ffmpeg2018, true)).toContain("option stimeout '5000000'");
    expect(decodeInputScript(rtsp.input, ffmpeg2018, true)).not.toContain('option timeout');
  });

  it('interval mode decodes every frame', () => {
    const args = buildDecodeArgs({ ...rtsp, decode: 'interval' });
    expect(args).not.toContain('-skip_frame');
    expect(after(args, '-vf')).toContain(`select='${selectExpression(5)}'`);
  });

  it('a live-looking file: real time and looped; analyze: neither', () => {
    const live = buildDecodeArgs({ ...rtsp, input: { kind: 'file', path: '/v/a.ts', loop: true, realtime: true } });
    expect(live.indexOf('-re')).toBeLessThan(live.indexOf('-i'));
    expect(after(live, '-stream_loop')).toBe('-1');
    expect(after(live, '-i')).toBe('/v/a.ts');
    expect(live).not.toContain('-rtsp_transport');
    const analyze = buildDecodeArgs({ ...rtsp, input: { kind: 'file', path: '/v/a.ts', loop: false, realtime: false } });
    expect(analyze).not.toContain('-re');
    expect(analyze).not.toContain('-stream_loop');
  });
});

describe('selectExpression', () => {
  it('keeps the first frame, then one per interval less a small tolerance, and re-arms on a backwards jump', () => {
    expect(selectExpression(5)).toBe('isnan(prev_selected_t)+gte(t-prev_selected_t,4.75)+lt(t,prev_selected_t)');
    expect(selectExpression(2)).toBe('isnan(prev_selected_t)+gte(t-prev_selected_t,1.9)+lt(t,prev_selected_t)');
    expect(selectExpression(0.04)).toBe('isnan(prev_selected_t)+gte(t-prev_selected_t,0.038)+lt(t,prev_selected_t)');
  });
});

describe('letterboxContentSize', () => {
  it('matches ffmpeg scale with force_original_aspect_ratio=decrease', () => {
    expect(letterboxContentSize(704, 576, 416, 416)).toEqual({ width: 416, height: 340 });
    expect(letterboxContentSize(1920, 1080, 640, 640)).toEqual({ width: 640, height: 360 });
    expect(letterboxContentSize(1080, 1920, 416, 416)).toEqual({ width: 234, height: 416 });
    expect(letterboxContentSize(416, 416, 416, 416)).toEqual({ width: 416, height: 416 });
    expect(letterboxContentSize(0, 0, 416, 416)).toEqual({ width: 416, height: 416 });
  });
});
