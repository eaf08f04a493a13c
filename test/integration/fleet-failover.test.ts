import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { fleetKeys } from '../../src/fleet/keys.js';
import { testClip } from '../support/clip.js';
import { REPO } from '../../support/fixture-video.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';
import { TestRedis } from '../../support/redis.js';
import { TestRtspServer } from '../../support/rtsp.js';

/**
 * The fleet end to end: 3 `patrol worker` processes, 30 cameras on the real RTSP server (30 mounts of one
 * clip), real redis-server, the shipped patrol-det model. One worker is SIGKILLed; every one of its cameras must
 * be analyzed again by another worker within 15 s, and no camera may ever be analyzed by two workers at
 * once (checked on the analysis trace every worker writes to Redis with PATROL_FLEET_TRACE=1).
 *
 * The test RTSP server builds a mount's pipeline when its first client arrives and drops it when the last
 * one leaves, and on two shared cores it cannot build 30 at once (clients time out) — unlike real cameras,
 * which are always on. So one idle keep-alive client per mount (ffmpeg -c copy to null), started a few at a
 * time, keeps every mount up, as a camera would be.
 *
 * Lease timing: FLEET_TEST_TTL_SEC / FLEET_TEST_HEARTBEAT_SEC (default 6 s / 2 s: a dead worker's camera is
 * re-leased after ≤ 6 s + 1 s scan and needs a few seconds more to connect and wait for the next keyframe). The
 * config names no transport, so the cameras run on the default, the in-process client (fleet-camera-state runs
 * file cameras, on ffmpeg, through the same leases).
 */
const CAMERAS = Number(process.env.FLEET_TEST_CAMERAS ?? 30);
const WORKERS = 3;
const TTL_SEC = Number(process.env.FLEET_TEST_TTL_SEC ?? 6);
const HEARTBEAT_SEC = Number(process.env.FLEET_TEST_HEARTBEAT_SEC ?? 2);
const INTERVAL_SEC = 5;
const TAKEOVER_LIMIT_MS = 15_000;
const PREFIX = 'fleet-test';

interface TraceLine {
  c: string;
  w: string;
  k: number;
  t: number;
}

interface Worker {
  id: string;
  proc: ChildProcessByStdio<null, Readable, Readable>;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe(`fleet: ${WORKERS} worker processes, ${CAMERAS} RTSP cameras, one SIGKILLed`, () => {
  let redis: TestRedis;
  let rtsp: TestRtspServer;
  let dir: string;
  let configFile: string;
  let r: Redis;
  const workers: Worker[] = [];
  const keepAlive: Array<ReturnType<typeof spawn>> = [];
  const keys = fleetKeys(PREFIX);

  beforeAll(async () => {
    const clip = await testClip();
    const mounts = Array.from({ length: CAMERAS }, (_, i) => `cam${String(i).padStart(2, '0')}`);
    [redis, rtsp] = await Promise.all([TestRedis.start(), TestRtspServer.start({ mounts, clip: clip.ts })]);
    r = new Redis(redis.url);
    for (let i = 0; i < mounts.length; i++) {
      const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', rtsp.url(mounts[i]!), '-map', '0:v', '-c', 'copy', '-f', 'null', '-'];
      keepAlive.push(spawn(resolveFfmpeg().path, args, { stdio: 'ignore' }));
      if (i % 2 === 1) await new Promise((res) => setTimeout(res, 400));
    }
    await new Promise((res) => setTimeout(res, 2_000));
    dir = mkdtempSync(join(tmpdir(), 'patrol-fleet-'));
    configFile = join(dir, 'fleet.yaml');
    const cameras = mounts.map((m) => `  - { id: ${m}, url: '${rtsp.url(m)}', intervalSec: ${INTERVAL_SEC}, decode: keyframe, violations: [stall] }`).join('\n');
    writeFileSync(
      configFile,
      `cameras:\n${cameras}\ndetector:\n  manifest: ${PATROL_DET_MANIFEST}\nstorage:\n  dir: ${join(dir, 'var')}\nqueue:\n  name: fleet-test-events\n` +
        `fleet:\n  keyPrefix: ${PREFIX}\n  leaseTtlSec: ${TTL_SEC}\n  heartbeatSec: ${HEARTBEAT_SEC}\n  rtspAnalyzeDurationSec: 1\n`,
    );
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    for (const k of keepAlive) k.kill('SIGKILL');
    r?.disconnect();
    await rtsp?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  function startWorker(id: string): Worker {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', configFile], {
      cwd: REPO,
      // Each worker its own storage dir (its Redis-outage spool is local), as on separate machines.
      env: { ...process.env, REDIS_URL: redis.url, PATROL_WORKER_ID: id, PATROL_STORAGE_DIR: join(dir, id), PATROL_METRICS_PORT: '0', PATROL_FLEET_TRACE: '1', PATROL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const keep = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line.trim()) lines.push(line);
      if (lines.length > 4000) lines.splice(0, lines.length - 4000);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    const w = { id, proc, lines, exited };
    workers.push(w);
    return w;
  }

  async function trace(): Promise<TraceLine[]> {
    return (await r.lrange(keys.trace, 0, -1)).map((l) => JSON.parse(l) as TraceLine);
  }

  /** When a worker logged a message (pino JSON lines carry `time`), per camera. */
  function logged(w: Worker, text: string): Array<{ camera: string; t: number }> {
    const out: Array<{ camera: string; t: number }> = [];
    for (const line of w.lines) {
      if (!line.includes(text)) continue;
      try {
        const j = JSON.parse(line) as { camera?: string; cameraId?: string; time?: number };
        const camera = j.camera ?? j.cameraId;
        if (camera && j.time) out.push({ camera, t: j.time });
      } catch {
        // not a JSON line
      }
    }
    return out;
  }
  const leasedAt = (w: Worker) => logged(w, 'leased camera');
  const stats = (ms: number[]) => {
    const v = [...ms].sort((a, b) => a - b);
    return { min: v[0], median: v[Math.floor(v.length / 2)], max: v.at(-1) };
  };

  function tail(w: Worker, n = 25): string {
    return `--- ${w.id} (last ${n} lines) ---\n${w.lines.slice(-n).join('\n')}`;
  }

  it('spreads the cameras, re-analyzes a killed worker’s cameras within 15 s, rebalances onto a new worker, never two workers at once, shuts down gracefully', async () => {
    const t0 = Date.now();
    for (let i = 1; i <= WORKERS; i++) startWorker(`w${i}`);

    // Steady state: every camera analyzed in the last two intervals, each by one of the three workers.
    let owners = new Map<string, string>();
    try {
      await until(
        'every camera analyzed recently, spread over all workers',
        async () => {
          const now = Date.now();
          const recent = (await trace()).filter((l) => now - l.t < INTERVAL_SEC * 2_000 + 2_000);
          owners = new Map(recent.map((l) => [l.c, l.w]));
          const perWorker = new Set(owners.values());
          return owners.size === CAMERAS && perWorker.size === WORKERS;
        },
        75_000,
        500,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${workers.map((w) => tail(w)).join('\n')}`);
    }
    const steadyMs = Date.now() - t0;
    const firstLease = Math.min(...workers.flatMap((w) => leasedAt(w)).map((x) => x.t)) - t0;
    const firstLive = workers.flatMap((w) => logged(w, ' live')).map((x) => x.t - t0);
    // Let ownership settle (rebalancing after the start), then take the latest owner of every camera.
    await new Promise((res) => setTimeout(res, 3_000));
    const before = await trace();
    owners = new Map(before.map((l) => [l.c, l.w]));
    const counts = new Map<string, number>();
    for (const w of owners.values()) counts.set(w, (counts.get(w) ?? 0) + 1);
    const victim = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const orphans = [...owners].filter(([, w]) => w === victim).map(([c]) => c);

    const killedAt = Date.now();
    workers.find((w) => w.id === victim)!.proc.kill('SIGKILL');
    const reanalyzed = new Map<string, number>();
    try {
      await until(
        `the ${orphans.length} cameras of ${victim} analyzed again by another worker`,
        async () => {
          for (const l of await trace()) if (l.t > killedAt && l.w !== victim && orphans.includes(l.c) && !reanalyzed.has(l.c)) reanalyzed.set(l.c, l.t - killedAt);
          return reanalyzed.size === orphans.length;
        },
        30_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; re-analyzed: ${JSON.stringify([...reanalyzed])}\n${workers.map((w) => tail(w)).join('\n')}`);
    }
    const takeovers = [...reanalyzed.values()].sort((a, b) => a - b);
    const others = workers.filter((w) => w.id !== victim);
    const releases = others
      .flatMap((w) => leasedAt(w))
      .filter((x) => x.t > killedAt && orphans.includes(x.camera))
      .map((x) => x.t - killedAt)
      .sort((a, b) => a - b);
    const live = others
      .flatMap((w) => logged(w, ' live'))
      .filter((x) => x.t > killedAt && orphans.includes(x.camera))
      .map((x) => x.t - killedAt);

    // A new worker joins: the others hand cameras back (stop first, then release) until each has its share.
    const joinedAt = Date.now();
    const w4 = startWorker('w4');
    let rebalanced: Map<string, number> = new Map();
    try {
      await until(
        'w4 analyzing its share of the cameras',
        async () => {
          const now = Date.now();
          const recent = (await trace()).filter((l) => l.t > joinedAt && now - l.t < INTERVAL_SEC * 2_000 + 2_000);
          const owner = new Map(recent.map((l) => [l.c, l.w]));
          rebalanced = new Map();
          for (const w of owner.values()) rebalanced.set(w, (rebalanced.get(w) ?? 0) + 1);
          return owner.size === CAMERAS && (rebalanced.get(w4.id) ?? 0) >= Math.floor(CAMERAS / WORKERS) - 1;
        },
        40_000,
        500,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; owners: ${JSON.stringify([...rebalanced])}\n${workers.map((w) => tail(w)).join('\n')}`);
    }
    const rebalanceMs = Date.now() - joinedAt;

    // Graceful shutdown of the survivors: in-flight frames finish, leases released, membership left.
    const survivors = workers.filter((w) => w.id !== victim);
    const stopAt = Date.now();
    for (const w of survivors) w.proc.kill('SIGTERM');
    const exits = await Promise.all(survivors.map((w) => w.exited));
    const shutdownMs = Date.now() - stopAt;

    const all = await trace();
    const summary = {
      cameras: CAMERAS,
      workers: WORKERS,
      ttlSec: TTL_SEC,
      heartbeatSec: HEARTBEAT_SEC,
      steadyStateMs: steadyMs,
      firstLeaseMs: firstLease,
      camerasLiveMs: stats(firstLive),
      victim,
      orphans: orphans.length,
      releasedAfterKillMs: stats(releases),
      liveAfterKillMs: stats(live),
      reanalyzedAfterKillMs: stats(takeovers),
      rebalanceMs,
      camerasPerWorkerAfterJoin: Object.fromEntries(rebalanced),
      shutdownMs,
      analyses: all.length,
    };
    console.log(`fleet-failover: ${JSON.stringify(summary)}`);

    expect(exits.map((e) => e.code), survivors.map((w) => tail(w)).join('\n')).toEqual(survivors.map(() => 0));
    // No transport in the config: every worker ran its cameras on the in-process client, and said so.
    const transports = workers.flatMap((w) => w.lines.filter((l) => /: transport (native|ffmpeg) \(/.test(l)));
    expect(transports.length).toBeGreaterThanOrEqual(CAMERAS);
    expect(transports.filter((l) => !l.includes('transport native (default for rtsp://'))).toEqual([]);
    expect(takeovers.at(-1)!).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);
    // Everything handed back: no lease left behind, nobody still a member.
    expect(await r.keys(`${PREFIX}:lease:*`)).toEqual([]);
    expect(await r.zcard(keys.workers)).toBe(0);

    // Never two at once: per camera, the analyses under each fencing token form one tenure; tenures are
    // ordered by token and must not overlap in time; one token belongs to one worker.
    const byCamera = new Map<string, Map<number, { w: Set<string>; first: number; last: number }>>();
    for (const l of all) {
      expect(l.k, `analysis without a lease: ${JSON.stringify(l)}`).toBeGreaterThan(0);
      const tenures = byCamera.get(l.c) ?? new Map();
      byCamera.set(l.c, tenures);
      const t = tenures.get(l.k) ?? { w: new Set<string>(), first: l.t, last: l.t };
      t.w.add(l.w);
      t.first = Math.min(t.first, l.t);
      t.last = Math.max(t.last, l.t);
      tenures.set(l.k, t);
    }
    expect(byCamera.size).toBe(CAMERAS);
    const overlaps: string[] = [];
    let minGapMs = Number.POSITIVE_INFINITY;
    for (const [camera, tenures] of byCamera) {
      const ordered = [...tenures].sort((a, b) => a[0] - b[0]);
      for (const [token, t] of ordered) if (t.w.size !== 1) overlaps.push(`${camera} token ${token} used by ${[...t.w].join('+')}`);
      for (let i = 1; i < ordered.length; i++) {
        const [pk, prev] = ordered[i - 1]!;
        const [nk, next] = ordered[i]!;
        if (next.first <= prev.last) overlaps.push(`${camera}: token ${nk} (${[...next.w]}) analyzed at ${next.first} before token ${pk} (${[...prev.w]}) stopped at ${prev.last}`);
        minGapMs = Math.min(minGapMs, next.first - prev.last);
      }
    }
    console.log(`fleet-failover: ${byCamera.size} cameras, ${[...byCamera.values()].reduce((n, t) => n + t.size, 0)} tenures, smallest gap between consecutive owners ${minGapMs} ms`);
    expect(overlaps).toEqual([]);
  }, 150_000);
});
