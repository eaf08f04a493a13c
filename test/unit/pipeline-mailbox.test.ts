import { describe, expect, it } from 'vitest';
import { FrameMailbox } from '../../src/pipeline/frame-mailbox.js';
import type { Frame } from '../../src/contracts/frame.js';

function frame(cameraId: string, timestamp: number): Frame {
  return { cameraId, timestamp, ptsMs: timestamp, data: Buffer.alloc(3), pixelFormat: 'bgr24', width: 1, height: 1, contentWidth: 1, contentHeight: 1, sourceWidth: 1, sourceHeight: 1 };
}

describe('FrameMailbox', () => {
  it('keeps only the newest frame per camera and reports the replaced one as not analyzed', async () => {
    let t = 0;
    const box = new FrameMailbox(() => t);
    const first = box.submit(frame('a', 1));
    t = 5;
    void box.submit(frame('a', 2));
    expect(await first).toBe(false);
    expect(box.size).toBe(1);
    expect(box.replaced).toBe(1);
    const [only] = box.take(8);
    expect(only!.frame.timestamp).toBe(2);
    // The camera keeps its place in line: it has been waiting since t=0.
    expect(only!.waitedMs).toBe(5);
  });

  it('hands out the longest-waiting cameras first, at most max', () => {
    let t = 0;
    const box = new FrameMailbox(() => t);
    for (const id of ['c', 'a', 'b']) {
      void box.submit(frame(id, t));
      t += 10;
    }
    expect(box.take(2).map((s) => s.frame.cameraId)).toEqual(['c', 'a']);
    expect(box.take(2).map((s) => s.frame.cameraId)).toEqual(['b']);
  });

  it('resolves submit() true once the frame is analyzed, and ready() when a frame arrives', async () => {
    const box = new FrameMailbox();
    const ready = box.ready();
    const submitted = box.submit(frame('a', 1));
    await ready;
    box.take(1)[0]!.done();
    expect(await submitted).toBe(true);
  });

  it('settles everything waiting on close', async () => {
    const box = new FrameMailbox();
    const p = box.submit(frame('a', 1));
    const ready = box.ready();
    box.close();
    expect(await p).toBe(false);
    await ready;
  });
});
