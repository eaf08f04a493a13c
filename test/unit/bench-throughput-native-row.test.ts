import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NATIVE_INGEST_STAGE, stageTable } from '../../bench/lib/throughput/stage-table.js';
import { fakeIngest, fakeNative, fakeStages } from './bench-throughput-fakes.js';

const base = fakeIngest;
const native = fakeNative;
const rest = fakeStages;

describe('bench:throughput native ingest row', () => {
  it('sits beside the ffmpeg rows, out of the sum, with its ratio to the ffmpeg camera source', async () => {
    const omitted: string[] = [];
    const withNative = await stageTable({ ingestDecode: { ...base, native }, ...rest }, omitted);
    const without = await stageTable({ ingestDecode: base, ...rest }, []);
    const row = withNative.table.find((r) => r.stage === NATIVE_INGEST_STAGE)!;
    expect(row.inSum).toBe(false);
    expect(row.cpuMsPerCameraSecond).toBe(1.5);
    expect(row.how).toContain('0.25× ffmpeg');
    expect(withNative.table.filter((r) => r.stage !== NATIVE_INGEST_STAGE).map((r) => r.stage)).toEqual(without.table.map((r) => r.stage));
    // The sum is the ffmpeg path's, unchanged by the native row (scene/burning are re-measured: compare the ingest part).
    const ffmpegRows = (t: typeof row[]) => t.filter((r) => r.inSum && /ingest|decode|hand-off/.test(r.stage)).reduce((s, r) => s + r.cpuMsPerCameraSecond, 0);
    expect(ffmpegRows(withNative.table)).toBe(ffmpegRows(without.table));
    // This fake run has no Frigate-style baseline, which is listed as not measured.
    expect(omitted).toEqual(['Frigate-style baseline beside the ffmpeg ingest rows: not measured']);
  });

  it('a failed native run is listed in omitted, the ffmpeg rows stay', async () => {
    const omitted: string[] = [];
    const { table, stageSum } = await stageTable({ ingestDecode: { ...base, nativeError: 'boom' }, ...rest }, omitted);
    expect(table.some((r) => r.stage === NATIVE_INGEST_STAGE)).toBe(false);
    expect(stageSum).toBeDefined();
    expect(omitted.some((o) => o.includes('native') && o.includes('boom'))).toBe(true);
  });

  it("has a row for the model's crop check, out of the sum, and none for a model without one", async () => {
    const omitted: string[] = [];
    const { table, stageSum } = await stageTable({ ingestDecode: base, ...rest, model: 'models/patrol-det.json' }, omitted);
    // Named by the classes the manifest's check looks at (fire and smoke since 0.3.3).
    const checked = (JSON.parse(readFileSync('models/patrol-det.json', 'utf8')) as { cropCheck: { classes: { name: string }[] } }).cropCheck.classes.map((c) => c.name);
    const row = table.find((r) => r.stage.startsWith(`crop check (${checked.join(', ')})`));
    expect(row?.inSum).toBe(false);
    expect(row!.how).toMatch(/CPU-ms per box/);
    expect(row!.cpuMsPerCameraSecond).toBeGreaterThan(0);
    const without = await stageTable({ ingestDecode: base, ...rest }, []);
    expect(without.table.some((r) => r.stage.startsWith('crop check'))).toBe(false);
    // Out of the sum: the sum is its in-sum rows alone (the two tables' sums differ by their measured rows' noise).
    expect(stageSum).toBeCloseTo(table.filter((r) => r.inSum).reduce((s, r) => s + r.cpuMsPerCameraSecond, 0), 9);
    expect(without.stageSum).toBeGreaterThan(0);
    expect(omitted.filter((l) => l.startsWith('crop check'))).toEqual([]);
  });
});
