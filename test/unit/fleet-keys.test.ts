import { afterEach, describe, expect, it } from 'vitest';
import { fleetKeys, leaseValue, parseLeaseValue } from '../../src/fleet/keys.js';
import { cameraFingerprint } from '../../src/fleet/registry.js';
import { resolveWorkerId, workerCommand } from '../../src/pipeline/worker-command.js';
import { CameraSchema } from '../../src/config/schema.js';
import { PatrolError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load-config.js';

describe('fleet keys and lease values', () => {
  it('names every key under the prefix', () => {
    const k = fleetKeys('p');
    expect([k.cameras, k.camerasVersion, k.workers, k.worker('w1'), k.lease('cam'), k.fence('cam'), k.openEvents('cam'), k.trace]).toEqual([
      'p:cameras',
      'p:cameras:version',
      'p:workers',
      'p:worker:w1',
      'p:lease:cam',
      'p:fence:cam',
      'p:open:cam',
      'p:trace',
    ]);
  });

  it('round-trips worker ids with colons and rejects garbage', () => {
    expect(parseLeaseValue(leaseValue('host:1234', 17))).toEqual({ workerId: 'host:1234', token: 17 });
    expect(parseLeaseValue('nocolon')).toBeUndefined();
    expect(parseLeaseValue('w:x')).toBeUndefined();
  });

  it('fingerprints a camera by its whole config', () => {
    const a = CameraSchema.parse({ id: 'c', url: 'rtsp://h/x' });
    expect(cameraFingerprint(a)).toBe(cameraFingerprint({ ...a }));
    expect(cameraFingerprint(a)).not.toBe(cameraFingerprint({ ...a, intervalSec: 2 }));
  });
});

describe('patrol worker command', () => {
  const saved = process.env.REDIS_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  });

  it('worker id: PATROL_WORKER_ID, then the config, then host-pid; odd characters refused', () => {
    expect(resolveWorkerId('cfg', { PATROL_WORKER_ID: 'env-1' })).toBe('env-1');
    expect(resolveWorkerId('cfg', {})).toBe('cfg');
    expect(resolveWorkerId(undefined, {})).toMatch(new RegExp(`-${process.pid}$`));
    expect(() => resolveWorkerId(undefined, { PATROL_WORKER_ID: 'a b' })).toThrow(PatrolError);
  });

  it('without Redis it stops with a clear error and the way out', async () => {
    delete process.env.REDIS_URL;
    const err = await workerCommand({ configPath: 'config/default.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PatrolError);
    expect((err as PatrolError).format()).toMatch(/needs Redis[\s\S]*REDIS_URL[\s\S]*patrol run/);
  });

  it('the fleet section is optional and validated', () => {
    const base = 'cameras:\n  - { id: c, url: "rtsp://h/x" }\ndetector:\n  manifest: m.json\n';
    expect(parseConfig(base, '/tmp/x.yaml', {}).fleet).toMatchObject({ leaseTtlSec: 10, heartbeatSec: 3, metricsPort: 9464, keyPrefix: 'patrol:fleet' });
    expect(parseConfig(`${base}fleet:\n  leaseTtlSec: 6\n  heartbeatSec: 2\n`, '/tmp/x.yaml', {}).fleet.leaseTtlSec).toBe(6);
    expect(() => parseConfig(`${base}fleet:\n  leaseTtlSec: 4\n  heartbeatSec: 3\n`, '/tmp/x.yaml', {})).toThrow(/heartbeatSec must be less than half/);
  });
});
