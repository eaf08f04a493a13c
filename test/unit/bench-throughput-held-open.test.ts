import { describe, expect, it } from 'vitest';
import { heldOpenSum } from '../../bench/lib/throughput/held-open.js';
import { ingestRatios, ratiosLine } from '../../bench/lib/throughput/ingest-ratios.js';
import type { StageRow } from '../../bench/lib/throughput/result.js';
import { FRIGATE_BASELINE_STAGE, NATIVE_INGEST_STAGE, stageTable } from '../../bench/lib/throughput/stage-table.js';
import { checkThroughputTargets, ThroughputTargetsSchema } from '../../bench/lib/throughput/targets.js';
import { fakeFrigate, fakeIngest, fakeNative, fakeStages } from './bench-throughput-fakes.js';

const base = fakeIngest;
const native = fakeNative;
const frigate = fakeFrigate;
const rest = fakeStages;

const row = (stage: string, cpu: number, inSum: boolean, ingestPath?: StageRow['ingestPath']): StageRow => ({ stage, cpuMsPerCameraSecond: cpu, inSum, how: '', ingestPath });

describe('bench:throughput Frigate-style baseline row', () => {
  it('sits out of the sum, with its ratios to the ffmpeg and native paths', async () => {
    const omitted: string[] = [];
    const withFrigate = await stageTable({ ingestDecode: { ...base, native, frigate }, ...rest }, omitted);
    const without = await stageTable({ ingestDecode: { ...base, native }, ...rest }, []);
    const r = withFrigate.table.find((x) => x.stage === FRIGATE_BASELINE_STAGE)!;
    expect(r.inSum).toBe(false);
    expect(r.cpuMsPerCameraSecond).toBe(19.5);
    // ffmpeg path with its hand-off = 6 + 0.5; native = 1.5.
    expect(r.how).toContain("3.00× Patrol's ffmpeg camera source");
    expect(r.how).toContain('13.00× the native path');
    expect(r.how).toContain('fps=5,scale=416:416');
    expect(withFrigate.table.filter((x) => x.stage !== FRIGATE_BASELINE_STAGE).map((x) => x.stage)).toEqual(without.table.map((x) => x.stage));
    const ffmpegRows = (t: StageRow[]) => t.filter((x) => x.inSum && x.ingestPath === 'ffmpeg').reduce((s, x) => s + x.cpuMsPerCameraSecond, 0);
    expect(ffmpegRows(withFrigate.table)).toBe(ffmpegRows(without.table));
    expect(omitted).toEqual([]);
  });

  it('a failed baseline is listed in omitted, the other rows stay', async () => {
    const omitted: string[] = [];
    const { table, stageSum, heldOpen } = await stageTable({ ingestDecode: { ...base, native, frigateError: 'no frames' }, ...rest }, omitted);
    expect(table.some((x) => x.stage === FRIGATE_BASELINE_STAGE)).toBe(false);
    expect(stageSum).toBeDefined();
    expect(heldOpen).toBeDefined();
    expect(omitted.some((o) => o.includes('Frigate') && o.includes('no frames'))).toBe(true);
  });
});

describe('bench:throughput ingest ratios', () => {
  it('compares the three paths up to frames in Node', () => {
    const q = ingestRatios({ ...base, native, frigate });
    expect(q.cpuMsPerCameraSecond).toEqual({ ffmpeg: 6.5, native: 1.5, frigate: 19.5 });
    expect(q.nativeVsFfmpeg).toBeCloseTo(1.5 / 6.5, 10);
    expect(q.frigateVsNative).toBe(13);
    expect(q.frigateVsFfmpeg).toBe(3);
    expect(q.memoryMbPerCamera).toEqual({ ffmpeg: 20, native: 4, frigate: 40 });
    expect(ratiosLine(q)).toBe('native 0.23× ffmpeg; Frigate-style 13.00× native, 3.00× ffmpeg');
  });

  it('leaves out what was not measured', () => {
    const q = ingestRatios(base);
    expect(q.nativeVsFfmpeg).toBeUndefined();
    expect(q.frigateVsNative).toBeUndefined();
    expect(ratiosLine(q)).toBe('native — ffmpeg');
  });
});

describe('bench:throughput held-open (native) sum', () => {
  const table = [
    row('RTSP ingest (ffmpeg)', 2, true, 'ffmpeg'),
    row('keyframe decode + scale (ffmpeg)', 1.5, true, 'ffmpeg'),
    row('frame hand-off to Node', 0.5, true, 'ffmpeg'),
    row(NATIVE_INGEST_STAGE, 1, false, 'native'),
    row(FRIGATE_BASELINE_STAGE, 12, false, 'frigate'),
    row('inference', 2, true),
    row('scoring + dedupe (step)', 0.01, false),
    row('scene model', 0.1, true),
    row('crop check, per checked box', 0.3, false),
    row('control plane', 0.02, true),
  ];

  it('takes the native row and the sum\'s other stages, never the ffmpeg rows', () => {
    const h = heldOpenSum(table, 6.12, 3)!;
    expect(h.rows).toEqual([NATIVE_INGEST_STAGE, 'inference', 'scene model', 'control plane']);
    expect(h.cpuMsPerCameraSecond).toBeCloseTo(3.12, 10);
    expect(h.streamsPerCore).toBeCloseTo(1000 / 3.12, 10);
    expect(h.rssMbPerStream).toBe(3);
  });

  it('is absent without the native row or without the ffmpeg-based sum', () => {
    expect(heldOpenSum(table.filter((r) => r.ingestPath !== 'native'), 6.12)).toBeUndefined();
    expect(heldOpenSum(table, undefined)).toBeUndefined();
  });

  it('stageTable: the held-open sum = the stage sum − the ffmpeg rows + the native row', async () => {
    const omitted: string[] = [];
    const { table: t, stageSum, heldOpen } = await stageTable({ ingestDecode: { ...base, native, frigate }, ...rest }, omitted);
    const ffmpeg = t.filter((r) => r.ingestPath === 'ffmpeg').reduce((s, r) => s + r.cpuMsPerCameraSecond, 0);
    expect(ffmpeg).toBe(2 + 4 + 0.5);
    expect(heldOpen!.cpuMsPerCameraSecond).toBeCloseTo(stageSum! - ffmpeg + 1.5, 10);
    expect(heldOpen!.rows).not.toContain(FRIGATE_BASELINE_STAGE);
    expect(heldOpen!.rssMbPerStream).toBe(4);
    const noNative: string[] = [];
    expect((await stageTable({ ingestDecode: base, ...rest }, noNative)).heldOpen).toBeUndefined();
    expect(noNative.some((o) => o.startsWith('held-open (native)'))).toBe(true);
  });
});

describe('bench:throughput held-open targets', () => {
  const targets = ThroughputTargetsSchema.parse({
    minStreamsPerCore: 100, controlPlane: { cameras: 1000, maxCoreShare: 0.05 }, maxEventLatencyP95Ms: 3000, maxRssMbPerStream: 20, maxIntervalMissRatio: 0.01,
    heldOpen: { $comment: 'x', maxCpuMsPerCameraSecond: 4.5, maxRssMbPerStream: 4 },
  });
  const held = (m: Parameters<typeof checkThroughputTargets>[0]) => checkThroughputTargets(m, targets).filter((c) => c.id.startsWith('held-open'));

  it('met at the limits', () => {
    const c = held({ heldOpen: { cpuMsPerCameraSecond: 4.5, rssMbPerStream: 4 } });
    expect(c.map((x) => [x.id, x.ok])).toEqual([['held-open-cpu', true], ['held-open-rss', true]]);
    expect(c[0]!.note).toMatch(/222 streams per core; target ≥ 222/);
  });

  it('missed above them', () => {
    const c = held({ heldOpen: { cpuMsPerCameraSecond: 4.6, rssMbPerStream: 4.1 } });
    expect(c.every((x) => !x.ok)).toBe(true);
    expect(c[0]!.value).toBe(4.6);
  });

  it('not measured without the native row (missed, not passed)', () => {
    const c = held({});
    expect(c.map((x) => [x.ok, x.note])).toEqual([[false, 'not measured'], [false, 'not measured']]);
  });

  it('no held-open checks without the section', () => {
    const { heldOpen: _, ...rest2 } = targets;
    expect(checkThroughputTargets({ heldOpen: { cpuMsPerCameraSecond: 1 } }, rest2).some((c) => c.id.startsWith('held-open'))).toBe(false);
  });
});
