import { describe, expect, it } from 'vitest';
import { ReadPacer, type PacedSocket } from '../../src/ingest/rtsp/read-pacer.js';

class FakeSocket implements PacedSocket {
  paused = false;
  destroyed = false;
  readonly log: string[] = [];
  pause(): void {
    this.paused = true;
    this.log.push('pause');
  }
  resume(): void {
    this.paused = false;
    this.log.push('resume');
  }
}

function fakeTimers() {
  let interval: (() => void) | undefined;
  const immediates: Array<() => void> = [];
  return {
    timers: {
      setInterval: ((fn: () => void) => {
        interval = fn;
        return { unref() {} } as unknown as NodeJS.Timeout;
      }) as unknown as typeof setInterval,
      clearInterval: (() => (interval = undefined)) as unknown as typeof clearInterval,
      setImmediate: (fn: () => void) => immediates.push(fn),
    },
    get running() {
      return interval !== undefined;
    },
    tick: () => interval?.(),
    afterPoll: () => immediates.splice(0).forEach((fn) => fn()),
  };
}

describe('ReadPacer', () => {
  it('keeps its sockets paused but for one poll phase per tick, all of them together', () => {
    const t = fakeTimers();
    const pacer = new ReadPacer(100, t.timers);
    const a = new FakeSocket();
    const b = new FakeSocket();
    pacer.add(a);
    pacer.add(b);
    expect(a.paused && b.paused).toBe(true);
    expect(t.running).toBe(true);
    t.tick();
    expect(a.paused || b.paused).toBe(false);
    t.afterPoll();
    expect(a.paused && b.paused).toBe(true);
    expect(a.log).toEqual(['pause', 'resume', 'pause']);
  });

  it('reads a removed socket as data comes again, and stops its timer with the last socket', () => {
    const t = fakeTimers();
    const pacer = new ReadPacer(100, t.timers);
    const a = new FakeSocket();
    pacer.add(a);
    pacer.remove(a);
    expect(a.paused).toBe(false);
    expect(t.running).toBe(false);
    expect(pacer.size).toBe(0);
  });

  it('a socket removed between the tick and the poll phase is not paused again; a destroyed one is dropped', () => {
    const t = fakeTimers();
    const pacer = new ReadPacer(100, t.timers);
    const a = new FakeSocket();
    const b = new FakeSocket();
    pacer.add(a);
    pacer.add(b);
    t.tick();
    pacer.remove(a);
    t.afterPoll();
    expect(a.paused).toBe(false);
    b.destroyed = true;
    t.tick();
    expect(pacer.size).toBe(0);
    expect(t.running).toBe(false);
  });

  it('period 0 paces nothing (every packet read as it comes), and still lends its read buffer', () => {
    const t = fakeTimers();
    const pacer = new ReadPacer(0, t.timers);
    const a = new FakeSocket();
    pacer.add(a);
    expect(a.paused).toBe(false);
    expect(t.running).toBe(false);
    expect(pacer.readBuffer.length).toBeGreaterThan(0);
    expect(pacer.readBuffer).toBe(pacer.readBuffer);
  });
});
