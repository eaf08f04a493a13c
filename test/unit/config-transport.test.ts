import { describe, expect, it } from 'vitest';
import { resolveTransport } from '../../src/config/transport.js';
import { transportLabel } from '../../src/contracts/camera-status.js';

const cam = (url: string, extra: Partial<Parameters<typeof resolveTransport>[0]> = {}) => ({ url, decode: 'keyframe' as const, ...extra });

describe('resolveTransport', () => {
  it('gives a plain rtsp:// camera decoded at keyframes the in-process client by default', () => {
    expect(resolveTransport(cam('rtsp://10.0.0.1/Streaming/Channels/102'))).toEqual({ kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, rtp: 'tcp' });
    expect(resolveTransport(cam('RTSP://user:pw@10.0.0.1:554/s')).kind).toBe('native');
    expect(resolveTransport(cam('rtsp://10.0.0.1/s', { tour: { revisitSec: 60, priority: 1, hours: [] } })).kind).toBe('native');
  });

  it('gives ffmpeg by default to what the client cannot serve, and says why', () => {
    const file = resolveTransport(cam('file://fixtures/generated/stall.mp4'));
    expect(file).toMatchObject({ kind: 'ffmpeg', explicit: false });
    expect(file.why).toMatch(/^default for a file:\/\/ input/);
    expect(resolveTransport(cam('rtsps://10.0.0.1/s'))).toMatchObject({ kind: 'ffmpeg', why: expect.stringMatching(/rtsps:\/\/.*no TLS/) });
    expect(resolveTransport(cam('rtsp://10.0.0.1/s', { decode: 'interval' }))).toMatchObject({ kind: 'ffmpeg', why: expect.stringMatching(/decode: interval/) });
    expect(resolveTransport(cam('http://10.0.0.1/s')).kind).toBe('ffmpeg');
  });

  it('honours an explicit transport as it is', () => {
    expect(resolveTransport(cam('rtsp://10.0.0.1/s', { transport: 'ffmpeg' }))).toEqual({ kind: 'ffmpeg', why: 'transport: ffmpeg in the config', explicit: true, rtp: 'tcp' });
    expect(resolveTransport(cam('rtsp://10.0.0.1/s', { transport: 'native' }))).toEqual({ kind: 'native', why: 'transport: native in the config', explicit: true, rtp: 'tcp' });
    // The config check refuses this one with its field and fix; the resolver does not second-guess it.
    expect(resolveTransport(cam('file://clip.mp4', { transport: 'native' })).kind).toBe('native');
  });

  it('says how RTP travels: udp where rtspTransport asks for it, on either transport; nothing for a file', () => {
    const udp = resolveTransport(cam('rtsp://10.0.0.1/s', { rtspTransport: 'udp' }));
    expect(udp).toEqual({ kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, rtp: 'udp' });
    expect(transportLabel(udp)).toBe('native, RTP over UDP');
    const ffmpegUdp = resolveTransport(cam('rtsp://10.0.0.1/s', { rtspTransport: 'udp', transport: 'ffmpeg' }));
    expect(ffmpegUdp.rtp).toBe('udp');
    expect(transportLabel(ffmpegUdp)).toBe('ffmpeg, RTP over UDP');
    expect(transportLabel(resolveTransport(cam('rtsp://10.0.0.1/s', { rtspTransport: 'udp', decode: 'interval' })))).toBe('ffmpeg, RTP over UDP');
    // TCP, the default, goes unsaid; a file has no RTP at all.
    const tcp = resolveTransport(cam('rtsp://10.0.0.1/s', { rtspTransport: 'tcp' }));
    expect([tcp.rtp, transportLabel(tcp)]).toEqual(['tcp', 'native']);
    expect(resolveTransport(cam('rtsps://10.0.0.1/s')).rtp).toBe('tcp');
    const file = resolveTransport(cam('file://clip.mp4'));
    expect([file.rtp, transportLabel(file)]).toEqual([undefined, 'ffmpeg']);
  });
});
