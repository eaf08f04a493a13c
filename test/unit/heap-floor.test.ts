import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../support/fixture-video.js';
import { HEAP_FLOOR_FLAG, hasHeapFloor, heapFloorAdvice } from '../../src/pipeline/heap-floor.js';

describe('heap floor', () => {
  it('is found on the node command line with - or _ and any value', () => {
    expect(hasHeapFloor([HEAP_FLOOR_FLAG])).toBe(true);
    expect(hasHeapFloor(['--require', 'x.cjs', '--initial_old_space_size=256'])).toBe(true);
    expect(hasHeapFloor(['--initial-old-space-size', '64'])).toBe(true);
    expect(hasHeapFloor([])).toBe(false);
    expect(hasHeapFloor(['--max-old-space-size=4096', '--initial-heap-size=64'])).toBe(false);
  });

  it('advises a worker with many cameras that runs without it, naming the flag and where to put it', () => {
    const advice = heapFloorAdvice(100, ['--import', 'tsx']);
    expect(advice).toContain(HEAP_FLOOR_FLAG);
    expect(advice).toContain('NODE_OPTIONS cannot carry it');
    expect(heapFloorAdvice(100, [HEAP_FLOOR_FLAG])).toBeUndefined();
    expect(heapFloorAdvice(3, [])).toBeUndefined();
  });

  it('is on every command that starts camera workers: npm start, bin/patrol.js, the throughput and soak benches', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'patrol', 'bench:throughput', 'bench:soak']) expect(scripts[name]!.split(' ')).toContain(HEAP_FLOOR_FLAG);
    const shebang = readFileSync(join(REPO, 'bin/patrol.js'), 'utf8').split('\n')[0]!;
    expect(shebang).toBe(`#!/usr/bin/env -S node ${HEAP_FLOOR_FLAG}`);
  });
});
