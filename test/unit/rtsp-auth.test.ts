import { describe, expect, it } from 'vitest';
import { Authenticator, credentialsFromUrl, digestAuthorization, parseAuthParams, parseChallenges, stripCredentials } from '../../src/ingest/rtsp/auth.js';

describe('RTSP auth', () => {
  it('computes the RFC 2617 §3.5 worked example (qop=auth)', () => {
    const [c] = parseChallenges(['Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"']);
    if (c?.scheme !== 'digest') throw new Error('no digest challenge');
    const header = digestAuthorization({ username: 'Mufasa', password: 'Circle Of Life' }, c, 'GET', '/dir/index.html', 1, '0a4f113b');
    const p = parseAuthParams(header.replace(/^Digest /, ''));
    expect(p.get('response')).toBe('6629fae49393a05397450978507c4ef1');
    expect(p.get('nc')).toBe('00000001');
    expect(p.get('qop')).toBe('auth');
    expect(p.get('opaque')).toBe('5ccc069c403ebaf9f0171e9517f40e41');
    expect(p.get('cnonce')).toBe('0a4f113b');
  });

  it('answers Digest without qop (RFC 2069 form, as Dahua and GStreamer ask)', () => {
    const [c] = parseChallenges(['Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"']);
    if (c?.scheme !== 'digest') throw new Error('no digest challenge');
    const header = digestAuthorization({ username: 'Mufasa', password: 'Circle Of Life' }, c, 'GET', '/dir/index.html', 1, 'x');
    const p = parseAuthParams(header.replace(/^Digest /, ''));
    // MD5(HA1:nonce:HA2) with HA1 = MD5(Mufasa:testrealm@host.com:Circle Of Life), HA2 = MD5(GET:/dir/index.html).
    expect(p.get('response')).toBe('670fd8c2df070c60b045671b8b24ff02');
    expect(p.has('qop')).toBe(false);
    expect(p.has('nc')).toBe(false);
  });

  it('prefers Digest over Basic and counts nonces per request', () => {
    const cs = parseChallenges(['Basic realm="IP Camera"', 'Digest realm="IP Camera", nonce="abc", qop="auth", stale="FALSE"']);
    expect(cs.map((c) => c.scheme)).toEqual(['digest', 'basic']);
    const a = new Authenticator({ username: 'admin', password: 'p' }, cs[0]!, () => 'cn');
    expect(a.header('DESCRIBE', 'rtsp://h/')).toContain('nc=00000001');
    expect(a.header('SETUP', 'rtsp://h/t')).toContain('nc=00000002');
  });

  it('writes Basic from the credentials', () => {
    const a = new Authenticator({ username: 'admin', password: 'p@ss:w' }, { scheme: 'basic', realm: 'r' });
    expect(a.header('DESCRIBE', 'rtsp://h/')).toBe(`Basic ${Buffer.from('admin:p@ss:w').toString('base64')}`);
  });

  it('takes credentials from the URL percent-decoded and strips them from the wire URL', () => {
    const url = 'rtsp://admin:p%40ss%3Aw%2F@192.168.1.64:554/Streaming/Channels/101';
    expect(credentialsFromUrl(url)).toEqual({ username: 'admin', password: 'p@ss:w/' });
    expect(stripCredentials(url)).toBe('rtsp://192.168.1.64:554/Streaming/Channels/101');
    expect(credentialsFromUrl('rtsp://h/x')).toBeUndefined();
  });

  it('skips challenges it cannot answer', () => {
    expect(parseChallenges(['Digest realm="r", nonce="n", algorithm=SHA-256', 'Bearer x', 'Digest realm="r"'])).toEqual([]);
  });
});
