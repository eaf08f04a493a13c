import { describe, expect, it } from 'vitest';
import { findVideoTrack, offeredCodecs, parseSdp, resolveControl } from '../../src/ingest/rtsp/sdp.js';

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xd9]);
const PPS = Buffer.from([0x68, 0xce, 0x3c, 0x80]);

// The shape of a Hikvision SDP: session control '*', audio first, absolute track URL.
const hikvision = [
  'v=0',
  'o=- 1 1 IN IP4 192.168.1.64',
  's=Media Presentation',
  'a=control:*',
  'm=audio 0 RTP/AVP 8',
  'a=rtpmap:8 PCMA/8000',
  'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  `a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=${SPS.toString('base64')},${PPS.toString('base64')}`,
  'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1',
  '',
].join('\r\n');

describe('SDP', () => {
  it('finds the H.264 track, its absolute control URL and the sprop parameter sets', () => {
    const track = findVideoTrack(parseSdp(hikvision), 'rtsp://192.168.1.64:554/Streaming/Channels/101/');
    expect(track).toMatchObject({ codec: 'h264', payloadType: 96, clockRate: 90_000, controlUrl: 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1' });
    expect(track?.parameterSets.sps).toEqual([SPS]);
    expect(track?.parameterSets.pps).toEqual([PPS]);
  });

  it('reads H.265 sprop-vps/sps/pps and resolves a relative control against Content-Base', () => {
    const vps = Buffer.from([0x40, 0x01, 0x0c]);
    const sps = Buffer.from([0x42, 0x01, 0x01]);
    const pps = Buffer.from([0x44, 0x01, 0xc1]);
    const text = `v=0\nm=video 0 RTP/AVP 97\na=rtpmap:97 H265/90000\na=fmtp:97 sprop-vps=${vps.toString('base64')};sprop-sps=${sps.toString('base64')};sprop-pps=${pps.toString('base64')}\na=control:stream=0\n`;
    const track = findVideoTrack(parseSdp(text), 'rtsp://h:8554/cam1/');
    expect(track).toMatchObject({ codec: 'h265', payloadType: 97, controlUrl: 'rtsp://h:8554/cam1/stream=0' });
    expect(track?.parameterSets).toEqual({ vps: [vps], sps: [sps], pps: [pps] });
  });

  it('says what is offered when there is no H.264/H.265', () => {
    const sdp = parseSdp('v=0\r\nm=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\nm=audio 0 RTP/AVP 0\r\n');
    expect(findVideoTrack(sdp, 'rtsp://h/')).toBeUndefined();
    expect(offeredCodecs(sdp)).toEqual(['JPEG']);
  });

  it('resolves control URLs as RFC 2326 C.1.1 does', () => {
    expect(resolveControl(undefined, 'rtsp://h/a')).toBe('rtsp://h/a');
    expect(resolveControl('*', 'rtsp://h/a')).toBe('rtsp://h/a');
    expect(resolveControl('track1', 'rtsp://h/a')).toBe('rtsp://h/a/track1');
    expect(resolveControl('track1', 'rtsp://h/a/')).toBe('rtsp://h/a/track1');
    expect(resolveControl('rtsp://other/x', 'rtsp://h/a/')).toBe('rtsp://other/x');
  });

  it('survives junk', () => {
    expect(parseSdp('\u0000garbage\nm=\na=rtpmap:x\na=fmtp:96\n=\n').media).toHaveLength(1);
  });
});
