import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDispatchQueue } from '../../src/dispatch/embedded-queue.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';

const QUEUE_MODULE = resolve(import.meta.dirname, '../../src/dispatch/embedded-queue.js');

/** Runs `body` as an ES module in a fresh Node (with tsx) and resolves with how it ended. */
function child(body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const src = `import { EmbeddedDispatchQueue } from ${JSON.stringify(QUEUE_MODULE)};\nimport { appendFileSync } from 'node:fs';\n${body}`;
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', fail);
    p.once('exit', (code, signal) => done({ code, signal, stderr }));
  });
}

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function message(i: number): DispatchMessage {
  const id = `evt-${i}`;
  return {
    jobId: id,
    kind: 'opened',
    publishedAt: i,
    event: { id, cameraId: 'c', zoneId: 'z', type: 'stall', startedAt: 0, confirmedAt: 0, lastSeenAt: 0, endedAt: null, peakScore: 0.5, bestBoxes: [], model: 'm', evidence: { sha256: {} } },
  };
}
const messages = (n: number) => Array.from({ length: n }, (_, i) => message(i));

describe('embedded queue across SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patrol-embedded-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a publish that resolved survives SIGKILL of the process right after it', async () => {
    const r = await child(`
      const q = new EmbeddedDispatchQueue({ name: 'killed-after-publish', storageDir: ${JSON.stringify(dir)} });
      for (const m of ${JSON.stringify(messages(20))}) await q.publish(m);
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const q = new EmbeddedDispatchQueue({ name: 'killed-after-publish', storageDir: dir });
    try {
      expect(await q.depth()).toBe(20);
    } finally {
      await q.close();
    }
  });

  it('a crash after the handler ran but before the ack redelivers that message (at-least-once), and only that one', async () => {
    const log = join(dir, 'handled.log');
    const seed = new EmbeddedDispatchQueue({ name: 'killed-in-handler', storageDir: dir });
    for (const m of messages(10)) await seed.publish(m);
    await seed.close();

    // The handler's side effect (a line in a file) happens, then the process dies before returning → no ack.
    const r = await child(`
      const q = new EmbeddedDispatchQueue({ name: 'killed-in-handler', storageDir: ${JSON.stringify(dir)} });
      await q.consume(async (m) => {
        appendFileSync(${JSON.stringify(log)}, m.jobId + '\\n');
        if (m.jobId === 'evt-4') process.kill(process.pid, 'SIGKILL');
      });
    `);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);

    const q = new EmbeddedDispatchQueue({ name: 'killed-in-handler', storageDir: dir });
    const got: string[] = [];
    try {
      expect(await q.depth()).toBe(6);
      await q.consume(async (m) => void got.push(m.jobId));
      await until(() => got.length === 6, 'the unacknowledged messages');
      // evt-4 comes again: the consumer's idempotency on jobId/event id is what makes this harmless.
      expect(got).toEqual(['evt-4', 'evt-5', 'evt-6', 'evt-7', 'evt-8', 'evt-9']);
    } finally {
      await q.close();
    }
  });

  it('forgets acknowledged jobIds only after the retention period', async () => {
    const q = new EmbeddedDispatchQueue({ name: 'retention', storageDir: dir, retentionMs: 60_000 });
    const got: string[] = [];
    try {
      await q.consume(async (m) => void got.push(m.jobId));
      const m = message(1);
      await q.publish(m);
      await until(() => got.length === 1, 'delivery');
      expect(q.prune(Date.now() + 30_000)).toBe(0); // within retention: still remembered
      await q.publish(m);
      expect(q.prune(Date.now() + 61_000)).toBe(1); // past retention: forgotten
      await q.publish(m);
      await until(() => got.length === 2, 'a re-publish after retention is a new message');
    } finally {
      await q.close();
    }
  });
});
