import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { fixtureDetectorManifest, fixturesConfigYaml } from '../../fixtures/camera-config.js';
import { SCENARIOS } from '../../fixtures/scenarios.js';
import { REPO_ROOT } from '../../fixtures/shared.js';

const FULL = join(REPO_ROOT, 'config', 'fixtures.yaml');
const QUICK = join(REPO_ROOT, 'config', 'fixtures-quick.yaml');

describe('fixture camera configs', () => {
  it('validate against the Patrol config schema and loader', () => {
    for (const file of [FULL, QUICK]) {
      const text = readFileSync(file, 'utf8');
      expect(ConfigSchema.safeParse(parse(text)).success, file).toBe(true);
      const cfg = parseConfig(text, file, {});
      expect(cfg.cameras.length).toBeGreaterThan(0);
    }
  });

  it('are in sync with the scenario catalogue (npm run fixtures rewrites them)', () => {
    const manifest = fixtureDetectorManifest(existsSync(join(REPO_ROOT, 'models', 'patrol-det.json')));
    expect(readFileSync(FULL, 'utf8')).toBe(fixturesConfigYaml(SCENARIOS, 'full set', manifest));
    expect(readFileSync(QUICK, 'utf8')).toBe(fixturesConfigYaml(SCENARIOS.filter((s) => s.quick), 'quick set, --quick', manifest));
  });

  it('have one camera per video, reading fixtures/generated/<name>.mp4, with the truth zones', () => {
    const cfg = parse(readFileSync(FULL, 'utf8')) as { cameras: Array<{ id: string; url: string; zones: Array<{ id: string; polygon: number[][] }> }> };
    expect(cfg.cameras.map((c) => c.id)).toEqual(SCENARIOS.map((s) => s.name));
    for (const c of cfg.cameras) {
      const s = SCENARIOS.find((x) => x.name === c.id)!;
      expect(c.url).toBe(`file://../fixtures/generated/${s.name}.mp4`);
      expect(c.zones.map((z) => [z.id, z.polygon])).toEqual(s.zones.map((z) => [z.id, z.polygon]));
    }
  });
});
