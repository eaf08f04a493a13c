import { describe, expect, it } from 'vitest';
import { parseTransport, transportRequest } from '../../src/ingest/rtsp/transport-header.js';
import { prng } from '../support/prng.js';

describe('RTSP Transport header', () => {
  it('SETUP asks for TCP interleaved on channels 0-1, or UDP to the client port pair', () => {
    expect(transportRequest('tcp')).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(transportRequest('udp', { rtp: 40_000, rtcp: 40_001 })).toBe('RTP/AVP;unicast;client_port=40000-40001');
  });

  it('reads the server ports, the echoed client ports and the source of a UDP answer (GStreamer, a Hikvision-style answer)', () => {
    expect(parseTransport('RTP/AVP;unicast;client_port=40000-40001;server_port=7010-7011;ssrc=1A2B3C4D;mode="PLAY"')).toEqual({
      lower: 'udp',
      multicast: false,
      clientPorts: { rtp: 40_000, rtcp: 40_001 },
      serverPorts: { rtp: 7010, rtcp: 7011 },
    });
    expect(parseTransport('RTP/AVP/UDP;unicast;source=192.168.1.64;client_port=40000-40001;server_port=8218-8219')).toMatchObject({
      lower: 'udp',
      source: '192.168.1.64',
      serverPorts: { rtp: 8218, rtcp: 8219 },
    });
  });

  it('a port given alone means that port and the next', () => {
    expect(parseTransport('RTP/AVP;unicast;server_port=6970')?.serverPorts).toEqual({ rtp: 6970, rtcp: 6971 });
  });

  it('tells TCP interleaved and multicast answers apart from unicast UDP', () => {
    expect(parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3')).toEqual({ lower: 'tcp', multicast: false, interleaved: { rtp: 2, rtcp: 3 } });
    expect(parseTransport('rtp/avp/tcp;interleaved=0')).toMatchObject({ lower: 'tcp', interleaved: { rtp: 0, rtcp: 1 } });
    expect(parseTransport('RTP/AVP;multicast;destination=239.1.1.1;port=5000-5001;ttl=16')).toMatchObject({ lower: 'udp', multicast: true });
  });

  it('the first of several specs; a header that is not RTP/AVP, or ports out of range, give nothing usable', () => {
    expect(parseTransport('RTP/AVP;unicast;server_port=5000-5001,RTP/AVP/TCP;interleaved=0-1')?.lower).toBe('udp');
    expect(parseTransport('MP2T/H2221/UDP;unicast')).toBeUndefined();
    expect(parseTransport('')).toBeUndefined();
    expect(parseTransport('RTP/AVP;unicast;server_port=70000-70001')?.serverPorts).toBeUndefined();
    expect(parseTransport('RTP/AVP;unicast;server_port=abc')?.serverPorts).toBeUndefined();
    expect(parseTransport('RTP/AVP/TCP;interleaved=300-301')?.interleaved).toBeUndefined();
  });
});

describe('RTSP Transport header under random input', () => {
  it('never throws, and any ports it gives are in range', () => {
    const random = prng(14);
    const alphabet = 'RTP/AVP/TCPUDP;=-,0123456789 unicast multicast interleaved server_port client_port source "\\x00';
    for (let i = 0; i < 5_000; i++) {
      const len = Math.floor(random() * 80);
      let text = random() < 0.5 ? 'RTP/AVP;' : '';
      for (let j = 0; j < len; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const t = parseTransport(text);
      for (const p of [t?.serverPorts, t?.clientPorts]) if (p) expect(Math.max(p.rtp, p.rtcp)).toBeLessThanOrEqual(65_535);
      if (t?.interleaved) expect(Math.max(t.interleaved.rtp, t.interleaved.rtcp)).toBeLessThanOrEqual(255);
    }
  });
});
