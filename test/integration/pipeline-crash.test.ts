import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { fixtureVideo, REPO } from '../../support/fixture-video.js';
import { binsAsDumpingManifest } from '../support/test-model.js';

const CAMERA = 'crash-cam';

function startPatrol(configFile: string, storageDir: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'run', '--no-review', '--config', configFile], {
    cwd: REPO,
    env: { ...process.env, PATROL_STORAGE_DIR: storageDir, PATROL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

describe('crash recovery', () => {
  let dir: string;
  let configFile: string;
  let storageDir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-crash-'));
    storageDir = join(dir, 'var');
    // A clip with the bin standing from the first frame, played in real time like a live camera.
    const clip = join(dir, 'bin-standing.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '30', '-i', fixtureVideo('bin_present'), '-t', '60', '-c', 'copy', clip]);
    configFile = join(dir, 'crash.yaml');
    writeFileSync(
      configFile,
      `cameras:
  - id: ${CAMERA}
    url: file://${clip}
    violations: [dumping]
    scene: false
    intervalSec: 1
detector:
  manifest: ${binsAsDumpingManifest()}
rules:
  dumping: { dwellSec: 3, hits: 2, window: 3, endAfterSec: 60, cooldownSec: 60 }
`,
    );
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGKILL mid-event: the restarted pipeline continues the same event, no duplicate, nothing half-written', async () => {
    const openFile = join(storageDir, 'state', 'open-events', `${CAMERA}.json`);
    const first = startPatrol(configFile, storageDir);
    try {
      await until('the event to open', () => existsSync(openFile), 60_000);
      // Let it write some evidence for the open event, then kill it without warning.
      await new Promise((r) => setTimeout(r, 2_500));
    } finally {
      first.kill('SIGKILL');
      await exited(first);
    }

    const second = startPatrol(configFile, storageDir);
    try {
      await new Promise((r) => setTimeout(r, 12_000));
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    expect(second.exitCode).toBe(0);

    const queue = createDispatchQueue({ name: 'patrol-events', storageDir });
    const got: DispatchMessage[] = [];
    await queue.consume(async (m) => {
      got.push(m);
    });
    await until('the queue to drain', () => got.length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await queue.close();

    const opened = got.filter((m) => m.kind === 'opened');
    expect(opened.map((m) => m.event.id)).toHaveLength(1);
    const id = opened[0]!.event.id;
    // The second run kept updating the same event rather than starting another.
    const updates = got.filter((m) => m.kind === 'updated');
    expect(updates.every((m) => m.event.id === id)).toBe(true);
    expect(new Set(got.map((m) => m.jobId)).size).toBe(got.length);

    // Evidence is complete or absent: no temp files, and every file the events name exists.
    const files = filesUnder(join(storageDir, 'evidence'));
    expect(files.filter((f) => /\.tmp/.test(f))).toEqual([]);
    const latest = got.at(-1)!.event;
    for (const rel of Object.keys(latest.evidence.sha256)) expect(existsSync(join(storageDir, rel)), rel).toBe(true);
  }, 180_000);
});
