import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RtspSupervisor, type SessionLike } from '../../src/ingest/rtsp-supervisor.js';

/** A session that reports what the test says it received; close() ends it as the real one does. */
class FakeSession extends EventEmitter implements SessionLike {
  bytesReceived = 0;
  start(): void {}
  async close(): Promise<void> {
    this.emit('state', 'closed');
  }
}

function supervise() {
  const sessions: FakeSession[] = [];
  const downs: string[] = [];
  const sup = new RtspSupervisor(
    {
      cameraId: 'cam',
      url: 'rtsp://user:secret@10.0.0.9/stream',
      backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0 },
      stableMs: 30_000,
      watchdogMs: 5_000,
      createSession: () => {
        const s = new FakeSession();
        sessions.push(s);
        return s;
      },
    },
    { onConnecting: () => {}, onAccessUnit: () => {}, onDown: (d) => downs.push(d.reason) },
  );
  return { sup, sessions, downs };
}

const unit = { codec: 'h264', timestampMs: 0, rtpTimestamp: 0, keyframe: true, data: Buffer.alloc(1), parameterSets: { sps: [], pps: [] } } as const;

afterEach(() => {
  vi.useRealTimers();
});

describe('RtspSupervisor watchdog', () => {
  it('no bytes and no frame: the camera is silent', async () => {
    vi.useFakeTimers();
    const { sup, downs } = supervise();
    sup.start();
    await vi.advanceTimersByTimeAsync(5_001);
    expect(downs).toEqual([expect.stringMatching(/^no frame for 5 s \(watchdog\)/)]);
    await sup.stop();
  });

  it('bytes keep coming but no whole picture: the stream is unreadable, with the URL and without the password', async () => {
    vi.useFakeTimers();
    const { sup, sessions, downs } = supervise();
    sup.start();
    const s = sessions[0]!;
    s.bytesReceived = 1_000;
    s.emit('accessUnit', unit);
    s.bytesReceived += 400_000;
    await vi.advanceTimersByTimeAsync(5_001);
    expect(downs).toHaveLength(1);
    expect(downs[0]).toMatch(/^stream unreadable: data arrives but no whole picture in 5 s \(400000 bytes/);
    expect(downs[0]).toContain('10.0.0.9/stream');
    expect(downs[0]).not.toContain('secret');
    await sup.stop();
  });

  it('a few bytes (keep-alive answers, RTCP) since the last frame still read as silence', async () => {
    vi.useFakeTimers();
    const { sup, sessions, downs } = supervise();
    sup.start();
    const s = sessions[0]!;
    s.emit('accessUnit', unit);
    s.bytesReceived += 900;
    await vi.advanceTimersByTimeAsync(5_001);
    expect(downs).toEqual([expect.stringMatching(/^no frame for 5 s/)]);
    await sup.stop();
  });
});
