import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enableExpr, piecewise } from '../../fixtures/expr.js';
import { buildEncodeArgs, buildFilterGraph, buildRemuxArgs, layerXY, type ResolvedLayer, type ResolvedScene } from '../../fixtures/filtergraph.js';
import { lerpKeys } from '../../fixtures/scenario.js';

/** Evaluate an ffmpeg expression in JS (the subset the builder emits). */
function evalExpr(expr: string, t: number): number {
  const js = expr.replace(/\bif\(/g, 'IF(').replace(/\bPI\b/g, 'Math.PI').replace(/\b(sin|abs)\(/g, 'Math.$1(');
  const fns = {
    IF: (c: number, a: number, b: number) => (c ? a : b),
    lt: (a: number, b: number) => (a < b ? 1 : 0),
    clip: (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v)),
    between: (v: number, lo: number, hi: number) => (v >= lo && v <= hi ? 1 : 0),
    mod: (a: number, b: number) => a - b * Math.floor(a / b),
  };
  return new Function(...Object.keys(fns), 't', `return ${js};`)(...Object.values(fns), t) as number;
}

const layer = (over: Partial<ResolvedLayer> = {}): ResolvedLayer => ({
  id: 'bag',
  png: '/a/bag.png',
  width: 100,
  height: 80,
  anchorX: 50,
  anchorY: 76,
  startSec: 5,
  endSec: 30,
  path: [
    { t: 5, x: 0.2, y: 0.9 },
    { t: 10, x: 0.5, y: 0.9 },
  ],
  ...over,
});

const scene = (over: Partial<ResolvedScene> = {}): ResolvedScene => ({
  name: 'unit',
  durationSec: 30,
  width: 704,
  height: 576,
  fps: 25,
  gop: 50,
  bitrateK: 512,
  preset: 'ultrafast',
  background: '/a/bg.png',
  layers: [layer()],
  lighting: { brightness: [[0, 0]] },
  noise: 6,
  faults: [],
  seed: 7,
  threads: 1,
  ...over,
});

describe('ffmpeg expressions', () => {
  it('piecewise() matches linear interpolation through the keys, constant outside', () => {
    const keys = fc
      .uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 6 })
      .chain((ts) => fc.tuple(fc.constant([...ts].sort((a, b) => a - b)), fc.array(fc.integer({ min: -500, max: 500 }), { minLength: ts.length, maxLength: ts.length })));
    fc.assert(
      fc.property(keys, fc.double({ min: -10, max: 210, noNaN: true }), ([ts, vs], t) => {
        const k = ts.map((tt, i) => [tt, vs[i]!] as const);
        expect(evalExpr(piecewise(k), t)).toBeCloseTo(lerpKeys(k, t), 6);
      }),
    );
  });

  it('piecewise() of a constant is just the number', () => {
    expect(piecewise([[0, 3], [10, 3]])).toBe('3');
    expect(piecewise([])).toBe('0');
  });

  it('enableExpr() shows a layer in its interval, blinking when asked', () => {
    const e = enableExpr(10, 20, { periodSec: 1, onSec: 0.25 });
    expect(evalExpr(e, 9.9)).toBe(0);
    expect(evalExpr(e, 10.1)).toBe(1);
    expect(evalExpr(e, 10.5)).toBe(0);
    expect(evalExpr(e, 15.2)).toBe(1);
    expect(evalExpr(e, 20.1)).toBe(0);
  });

  it('layerXY() places the object bottom-center on the path', () => {
    const l = layer();
    const { x, y } = layerXY(l, 704, 576);
    expect(evalExpr(x, 7.5) + l.anchorX).toBeCloseTo(0.35 * 704, 3);
    expect(evalExpr(y, 7.5) + l.anchorY).toBeCloseTo(0.9 * 576, 3);
  });

  it('layerXY() repeats looping paths', () => {
    const l = layer({ loopSec: 5 });
    const { x } = layerXY(l, 704, 576);
    expect(evalExpr(x, 7)).toBeCloseTo(evalExpr(x, 12), 6);
  });

  it('emits no single quotes inside expressions (they delimit filter options)', () => {
    const { x, y } = layerXY(layer({ bobPx: 4 }), 704, 576);
    expect(x + y).not.toContain("'");
  });
});

describe('scene -> ffmpeg args', () => {
  it('encodes like a camera sub-stream: H.264, GOP 50 fixed, no B-frames, 512 kbps, yuv420p, 25 fps, faststart', () => {
    const args = buildEncodeArgs(scene(), '/out/unit.mp4');
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after('-c:v')).toBe('libx264');
    expect(after('-g')).toBe('50');
    expect(after('-keyint_min')).toBe('50');
    expect(after('-sc_threshold')).toBe('0');
    expect(after('-bf')).toBe('0');
    expect(after('-b:v')).toBe('512k');
    expect(after('-pix_fmt')).toBe('yuv420p');
    expect(after('-r')).toBe('25');
    expect(after('-t')).toBe('30');
    expect(after('-movflags')).toBe('+faststart');
    expect(args.at(-1)).toBe('/out/unit.mp4');
  });

  it('takes the background and one input per layer, all composited in one filtergraph', () => {
    const s = scene({ layers: [layer(), layer({ id: 'b', png: '/a/b.png' }), layer({ id: 'c', png: '/a/c.png' })] });
    const args = buildEncodeArgs(s, '/o.mp4');
    expect(args.filter((a) => a === '-i')).toHaveLength(4);
    expect(args.filter((a) => a === '-filter_complex')).toHaveLength(1);
    const g = buildFilterGraph(s);
    expect(g.match(/overlay=/g)).toHaveLength(3);
    expect(g).toContain("enable='between(t,5,30)'");
    expect(g).toContain('loop=loop=-1:size=1');
  });

  it('animates lighting with an eq brightness expression evaluated per frame', () => {
    const g = buildFilterGraph(scene({ lighting: { brightness: [[0, 0], [10, -0.3]], drift: { amp: 0.02, periodSec: 30 }, saturation: 0.4 } }));
    expect(g).toMatch(/eq=eval=frame:brightness='if\(lt\(t,10\).*\+0\.02\*sin\(2\*PI\*t\/30\)':contrast=1:saturation=0\.4/);
  });

  it('adds seeded sensor grain', () => {
    expect(buildFilterGraph(scene())).toContain('noise=alls=6:allf=t:all_seed=7');
    expect(buildFilterGraph(scene({ noise: 0 }))).not.toContain('noise=');
  });

  it('fades a layer in through a looped stream with an alpha fade', () => {
    const g = buildFilterGraph(scene({ layers: [layer({ fadeInSec: 4 })] }));
    expect(g).toContain('fade=t=in:st=5:d=4:alpha=1');
  });

  it('draws emissive layers after the lighting change', () => {
    const g = buildFilterGraph(scene({ layers: [layer({ id: 'sign', png: '/a/s.png', emissive: true }), layer({ png: '/a/b.png' })] }));
    const eq = g.indexOf('eq=eval=frame');
    expect(g.indexOf('[bg][2:v]overlay')).toBeLessThan(eq);
    expect(g.indexOf('[lit][1:v]overlay')).toBeGreaterThan(eq);
  });

  it('blacks the picture out during a dark fault, before the grain', () => {
    const g = buildFilterGraph(scene({ faults: [{ kind: 'dark', startSec: 10, endSec: 20 }] }));
    expect(g).toContain("drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,10,20)'");
    expect(g.indexOf('drawbox')).toBeLessThan(g.indexOf('noise='));
  });

  it('repeats one frame during a frozen fault, after grain and clock so they freeze too', () => {
    const g = buildFilterGraph(scene({ faults: [{ kind: 'frozen', startSec: 10, endSec: 20 }], osd: { fontfile: '/f.ttf', epochSec: 1, caption: 'CAM X' } }));
    expect(g).toContain('freezeframes=first=250:last=499:replace=250');
    expect(g.indexOf('freezeframes')).toBeGreaterThan(g.indexOf('drawtext'));
    expect(g.indexOf('freezeframes')).toBeGreaterThan(g.indexOf('noise='));
  });

  it('remuxes the MP4 to MPEG-TS without re-encoding', () => {
    const args = buildRemuxArgs('/o/a.mp4', '/o/a.ts');
    expect(args.join(' ')).toContain('-c copy');
    expect(args.join(' ')).toContain('-f mpegts /o/a.ts');
  });
});
