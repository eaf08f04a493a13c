import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDecodeArgs, buildRingOutputArgs, teeEscape, type DecodeArgsOptions } from '../../src/decode/ffmpeg-args.js';
import { parseSegmentList, readRing, ringDirFor, segmentWallTimes, selectSegments, type RingSegment } from '../../src/evidence/clip-ring.js';
import { pruneRing, ringLayout, RingStderrFilter } from '../../src/ingest/ring-writer.js';
import { clipWindow, ringSecondsFor, withClip } from '../../src/evidence/clip-recorder.js';
import type { PatrolEvent } from '../../src/contracts/event.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'patrol-ring-unit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Contiguous segments of `len` ms starting at `t0`. */
function segs(t0: number, n: number, len = 2000, run = 'r'): RingSegment[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `/ring/${run}-${String(i).padStart(3, '0')}.ts`,
    run,
    startMs: t0 + i * len,
    endMs: t0 + (i + 1) * len,
    streamStart: i * (len / 1000),
    streamEnd: (i + 1) * (len / 1000),
    size: 1000,
    mtimeMs: t0 + (i + 1) * len,
    ino: i + 1,
  }));
}

describe('ringLayout', () => {
  it('lists enough completed segments for the seconds asked, and wraps three files later', () => {
    expect(ringLayout(30)).toEqual({ segmentSec: 2, listSize: 16, wrap: 19 });
    expect(ringLayout(30, 1)).toEqual({ segmentSec: 1, listSize: 31, wrap: 34 });
    expect(ringLayout(5, 2)).toEqual({ segmentSec: 2, listSize: 4, wrap: 7 });
    expect(() => ringLayout(0)).toThrow(RangeError);
    expect(() => ringLayout(30, 0)).toThrow(RangeError);
  });

  it('puts the ring under <storage>/ring/<cameraId>, the id made path-safe', () => {
    expect(ringDirFor('/data', 'cam-1')).toBe('/data/ring/cam-1');
    expect(ringDirFor('/data', '../x')).toBe('/data/ring/.._x');
  });
});

describe('parseSegmentList', () => {
  it('reads ffmpeg csv lists, quoted names included, and skips junk', () => {
    const csv = 'a-000.ts,16.000000,18.000000\n"b,1-001.ts",18.000000,20.000000\n"q""x.ts",1,2\nbad line\n../x.ts,1,2\nc.ts,nan,3\n';
    expect(parseSegmentList(csv)).toEqual([
      { file: 'a-000.ts', start: 16, end: 18 },
      { file: 'b,1-001.ts', start: 18, end: 20 },
      { file: 'q"x.ts', start: 1, end: 2 },
    ]);
  });
});

describe('segmentWallTimes', () => {
  it('ends each segment at its mtime and starts it its stream length earlier', () => {
    const t = segmentWallTimes([
      { file: 'a', start: 16, end: 18, mtimeMs: 102_000 },
      { file: 'b', start: 18, end: 20.04, mtimeMs: 104_050 },
    ]);
    expect(t).toEqual([
      { startMs: 100_000, endMs: 102_000 },
      { startMs: 102_010, endMs: 104_050 },
    ]);
  });

  it('falls back to the previous end (or the segment length) when the stream times jumped', () => {
    const t = segmentWallTimes(
      [
        { file: 'a', start: 500, end: 0.2, mtimeMs: 50_000 },
        { file: 'b', start: 0.2, end: 9999, mtimeMs: 52_100 },
      ],
      2,
    );
    expect(t).toEqual([
      { startMs: 48_000, endMs: 50_000 },
      { startMs: 50_000, endMs: 52_100 },
    ]);
  });
});

describe('selectSegments', () => {
  const ring = segs(100_000, 10); // 100 s … 120 s

  it('picks every segment overlapping the span: the first starts at or before it', () => {
    const sel = selectSegments(ring, 103_500, 115_500);
    expect(sel.segments.map((s) => s.startMs)).toEqual([102_000, 104_000, 106_000, 108_000, 110_000, 112_000, 114_000]);
    expect([sel.startMs, sel.endMs, sel.complete, sel.gapMs]).toEqual([102_000, 116_000, true, 0]);
  });

  it('a span on segment boundaries takes exactly those segments', () => {
    const sel = selectSegments(ring, 104_000, 108_000);
    expect(sel.segments.map((s) => s.startMs)).toEqual([104_000, 106_000]);
    expect(sel.complete).toBe(true);
  });

  it('is order-independent', () => {
    const shuffled = [ring[5]!, ring[1]!, ring[9]!, ring[0]!, ring[3]!, ring[2]!, ring[4]!];
    expect(selectSegments(shuffled, 101_000, 109_000).segments.map((s) => s.startMs)).toEqual([100_000, 102_000, 104_000, 106_000, 108_000]);
  });

  it('reports a span the ring only partly holds as incomplete (too old, or post-roll not yet recorded)', () => {
    const early = selectSegments(ring, 95_000, 104_000);
    expect(early.segments).toHaveLength(2);
    expect(early.complete).toBe(false);
    const late = selectSegments(ring, 115_000, 125_000);
    expect(late.segments.map((s) => s.startMs)).toEqual([114_000, 116_000, 118_000]);
    expect([late.endMs, late.complete]).toEqual([120_000, false]);
  });

  it('nothing for a span outside the ring', () => {
    expect(selectSegments(ring, 10_000, 20_000)).toEqual({ segments: [], complete: false, gapMs: 0 });
    expect(selectSegments(ring, 120_000, 130_000).segments).toEqual([]);
    expect(selectSegments([], 1, 2).segments).toEqual([]);
  });

  it('spans a reconnect: two runs back to back, with the gap between them counted', () => {
    const before = segs(100_000, 3, 2000, 'a'); // 100–106 s
    const after = segs(109_000, 3, 2000, 'b'); // 109–115 s: 3 s without video
    const sel = selectSegments([...after, ...before], 101_000, 113_000);
    expect(sel.segments.map((s) => s.run)).toEqual(['a', 'a', 'a', 'b', 'b']);
    expect([sel.gapMs, sel.complete]).toEqual([3000, false]);
  });

  it('tolerates mtime jitter between neighbours, and skips a segment that overlaps a picked one', () => {
    const jittery = segs(100_000, 4);
    jittery[2] = { ...jittery[2]!, startMs: 104_200, endMs: 106_100 };
    expect(selectSegments(jittery, 100_000, 108_000)).toMatchObject({ complete: true, gapMs: 0 });
    const dup = { ...jittery[1]!, path: '/ring/other.ts', run: 'x' };
    expect(selectSegments([...jittery, dup], 100_000, 108_000).segments).toHaveLength(4);
  });
});

describe('readRing', () => {
  it('reads every run list, dates segments by mtime, skips listed files that are gone', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'aa_0.csv'), 'aa_0-000.ts,0.000000,2.000000\naa_0-001.ts,2.000000,4.000000\naa_0-002.ts,4.000000,6.000000\n');
    for (const [i, end] of [[0, 1000], [1, 1002]] as const) {
      const f = join(dir, `aa_0-00${i}.ts`);
      writeFileSync(f, 'x'.repeat(10 + i));
      utimesSync(f, end, end);
    }
    writeFileSync(join(dir, 'aa_0-009.ts'), 'not listed');
    writeFileSync(join(dir, 'bb_1.csv.tmp'), 'bb_1-000.ts,0,2\n');
    const ring = await readRing(dir);
    expect(ring.map((s) => [s.path, s.startMs, s.endMs, s.streamStart, s.size])).toEqual([
      [join(dir, 'aa_0-000.ts'), 998_000, 1_000_000, 0, 10],
      [join(dir, 'aa_0-001.ts'), 1_000_000, 1_002_000, 2, 11],
    ]);
    expect(await readRing(join(dir, 'missing'))).toEqual([]);
  });
});

describe('pruneRing', () => {
  it('removes runs older than the ring, leftover temp lists and dead cut folders; keeps recent ones', () => {
    const dir = tempDir();
    const now = 10_000_000;
    const put = (name: string, mtimeSec: number): void => {
      writeFileSync(join(dir, name), 'x');
      utimesSync(join(dir, name), mtimeSec, mtimeSec);
    };
    put('old_0-000.ts', 9000);
    put('old_0-001.ts', 9960);
    put('old_0.csv', 9960); // newest file 40 s old
    put('mid_1-000.ts', 9950);
    put('mid_1.csv', 9990); // 10 s old: kept
    put('dead_2.csv.tmp', 9000);
    put('notes.txt', 1); // not ours: left alone
    mkdirSync(join(dir, '.cut-abc'));
    utimesSync(join(dir, '.cut-abc'), 9000, 9000);
    mkdirSync(join(dir, '.cut-new'));
    utimesSync(join(dir, '.cut-new'), 9990, 9990);
    const { removed } = pruneRing(dir, 30_000, now);
    expect(readdirSync(dir).sort()).toEqual(['.cut-new', 'mid_1-000.ts', 'mid_1.csv', 'notes.txt']);
    expect(removed).toBe(5);
    expect(pruneRing(join(dir, 'nope'), 1, now)).toEqual({ removed: 0 });
  });
});

describe('RingStderrFilter', () => {
  it("takes the ring's lines out of ffmpeg's stderr, keeps the rest byte for byte, across chunk boundaries", () => {
    const f = new RingStderrFilter();
    const text =
      "[segment @ 0x55d9ea45d880] Opening '/r/a-000.ts' for writing\n" +
      '[Parsed_showinfo_1 @ 0x55d9ea440280] n:   0 pts:      0 pts_time:0 \n' +
      "[segment @ 0x5586029ab2c0] Failed to open segment '/r/a-000.ts'\r\n" +
      '[tee @ 0x5586028d0200] Slave muxer #0 failed: No space left on device, continuing with 1/2 slaves.\n' +
      '[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found\n';
    let pass = '';
    const ring: string[] = [];
    for (let i = 0; i < text.length; i += 7) {
      const out = f.push(text.slice(i, i + 7));
      pass += out.pass;
      ring.push(...out.ring);
    }
    const rest = f.end();
    pass += rest.pass;
    ring.push(...rest.ring);
    expect(pass).toBe('[Parsed_showinfo_1 @ 0x55d9ea440280] n:   0 pts:      0 pts_time:0 \n[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found\n');
    expect(ring).toEqual([
      "segment: Failed to open segment '/r/a-000.ts'",
      'tee: Slave muxer #0 failed: No space left on device, continuing with 1/2 slaves.',
    ]);
  });

  it('flushes an unterminated last line at the end', () => {
    const f = new RingStderrFilter();
    expect(f.push('Exiting normally')).toEqual({ pass: '', ring: [] });
    expect(f.end()).toEqual({ pass: 'Exiting normally', ring: [] });
  });
});

describe('ring output arguments', () => {
  const base: DecodeArgsOptions = {
    input: { kind: 'rtsp', url: 'rtsp://cam/1', socketTimeoutMs: 5000 },
    decode: 'keyframe',
    intervalSec: 5,
    width: 416,
    height: 416,
    pixelFormat: 'rgb24',
    features: { fpsMode: true, rtspSocketTimeout: 'timeout', showinfoChecksumOption: true },
  };
  const ring = { dir: '/data/ring/cam-1', prefix: 'm1abc_0', segmentSec: 2, wrap: 19, listSize: 16 };

  it('appends a stream-copy tee output after the raw frames, and copies the demuxer time base', () => {
    const plain = buildDecodeArgs(base);
    const args = buildDecodeArgs({ ...base, ring });
    expect(plain).not.toContain('-copytb');
    // The frame output is exactly what it was; the global -copytb goes before the input.
    expect(args).toEqual([...plain.slice(0, 5), '-copytb', '1', ...plain.slice(5), ...buildRingOutputArgs(ring)]);
    expect(args.indexOf('-copytb')).toBeLessThan(args.indexOf('-i'));
  });

  it('segments of 2 s, csv list, wrap, failures ignored, and a null slave so tee never gives up', () => {
    const args = buildRingOutputArgs(ring);
    expect(args.slice(0, 9)).toEqual(['-map', '0:v:0', '-c:v', 'copy', '-an', '-sn', '-dn', '-f', 'tee']);
    expect(args[9]).toBe(
      '[f=segment:segment_time=2:segment_format=mpegts:reset_timestamps=0:segment_list=/data/ring/cam-1/m1abc_0.csv:segment_list_type=csv:' +
        'segment_list_size=16:segment_wrap=19:onfail=ignore]/data/ring/cam-1/m1abc_0-%03d.ts|[f=null]-',
    );
  });

  it('escapes folder names for tee (twice for option values) and % for the segment pattern', () => {
    const args = buildRingOutputArgs({ ...ring, dir: "/d/a b:c'd]e|f%g" });
    expect(args[9]).toContain("segment_list=/d/a\\\\\\ b\\\\:c\\\\\\'d\\\\]e\\|f%g/m1abc_0.csv:");
    expect(args[9]).toContain("]/d/a\\ b:c\\'d]e\\|f%%g/m1abc_0-%03d.ts|[f=null]-");
    expect(teeEscape('a:b]c|d', ':]')).toBe('a\\:b\\]c|d');
  });

  it('refuses a list that could name the file being rewritten, and odd prefixes', () => {
    expect(() => buildRingOutputArgs({ ...ring, listSize: 18 })).toThrow(RangeError);
    expect(() => buildRingOutputArgs({ ...ring, prefix: 'a/b' })).toThrow(RangeError);
    expect(() => buildRingOutputArgs({ ...ring, segmentSec: 0 })).toThrow(RangeError);
  });
});

describe('clip window', () => {
  const ev = (startedAt: number, confirmedAt: number) => ({ startedAt, confirmedAt });

  it('centres on the confirmation: pre-roll before, post-roll after', () => {
    expect(clipWindow(ev(100_000, 100_000))).toEqual({ fromMs: 95_000, toMs: 110_000 });
  });

  it('reaches back to the first sighting of a quick event, at most maxLead earlier', () => {
    expect(clipWindow(ev(97_000, 100_000))).toEqual({ fromMs: 92_000, toMs: 110_000 });
    expect(clipWindow(ev(40_000, 100_000))).toEqual({ fromMs: 85_000, toMs: 110_000 });
    expect(clipWindow(ev(40_000, 100_000), 3, 6, 0)).toEqual({ fromMs: 97_000, toMs: 106_000 });
  });

  it('the ring the pipeline should keep for these clips', () => {
    expect(ringSecondsFor()).toBe(33);
    expect(ringSecondsFor({ preRollSec: 3, postRollSec: 6, maxLeadSec: 0, segmentSec: 1 })).toBe(13);
  });

  it('withClip records the path and its hash, leaving the other evidence alone', () => {
    const event = { id: 'e', evidence: { snapshot: 's.jpg', sha256: { 's.jpg': 'aa' } } } as unknown as PatrolEvent;
    const out = withClip(event, { relPath: 'c.mp4', sha256: 'bb' });
    expect(out.evidence).toEqual({ snapshot: 's.jpg', clip: 'c.mp4', sha256: { 's.jpg': 'aa', 'c.mp4': 'bb' } });
    expect(event.evidence.sha256).toEqual({ 's.jpg': 'aa' });
  });
});
