/**
 * What the burning check sees: for each given time of a video, the detector's fire/smoke candidates (down to
 * --min-score) and the burst features inside each box, with the check's verdict. For designing and auditing the
 * thresholds of src/detect/burning-check.ts on real footage and fixtures:
 *
 *   npx tsx bench/lib/real/burn-probe.ts VIDEO [--at 1,5,9] [--min-score 0.1] [--model models/patrol-det.json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { resolveFfmpeg } from '../../../src/decode/ffmpeg-path.js';
import { decodeBurst } from '../../../src/decode/burst.js';
import { burnFeatures } from '../../../src/detect/burn-features.js';
import { judgeFire, judgeSmoke } from '../../../src/detect/burning-check.js';
import { Detector } from '../../../src/detect/detector.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { at: { type: 'string', default: '1,5,9,13,17,21' }, 'min-score': { type: 'string', default: '0.1' }, model: { type: 'string', default: 'models/patrol-det.json' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npx tsx bench/lib/real/burn-probe.ts VIDEO [--at 1,5,9] [--min-score 0.1]');
  process.exit(2);
}
const ffmpeg = resolveFfmpeg().path;
const det = await Detector.load(values.model!, { threads: 1, scoreThreshold: Number(values['min-score']) });
const thresholds = new Map(det.manifest.classes.filter((c) => c.violation === 'burning').map((c) => [c.name, c.threshold]));
const S = det.manifest.input.width;
const probe = spawnSync(ffmpeg, ['-hide_banner', '-i', file, '-frames:v', '1', '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
const m = /Video: .*?(\d{2,5})x(\d{2,5})/.exec(probe);
const [sw, sh] = m ? [Number(m[1]), Number(m[2])] : [S, S];
const r = Math.min(S / sw, S / sh);
const cw = Math.round(sw * r);
const ch = Math.round(sh * r);
const bw = 208;
const bh = Math.max(2, Math.round((bw * sh) / sw / 2) * 2);
const f2 = (v: number) => v.toFixed(2);
for (const t of values.at!.split(',').map(Number)) {
  const raw = execFileSync(ffmpeg, ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1', '-vf', `scale=${cw}:${ch},pad=${S}:${S}:0:0:0x727272`, '-pix_fmt', det.manifest.input.channelOrder === 'BGR' ? 'bgr24' : 'rgb24', '-f', 'rawvideo', '-']);
  const [res] = await det.detect([{ cameraId: 'probe', timestamp: t * 1000, ptsMs: t * 1000, pixelFormat: det.manifest.input.channelOrder === 'BGR' ? 'bgr24' : 'rgb24', width: S, height: S, data: raw, contentWidth: cw, contentHeight: ch, sourceWidth: sw, sourceHeight: sh }]);
  const cands = res!.items.filter((d) => thresholds.has(d.label)).sort((a, b) => b.score - a.score).slice(0, 3);
  if (cands.length === 0) {
    console.log(`t=${t} no fire/smoke candidate ≥ ${values['min-score']}`);
    continue;
  }
  const burst = await decodeBurst({ ffmpegPath: ffmpeg, input: { kind: 'file', path: file, atSec: t }, durationSec: 1, fps: 12, width: bw, height: bh });
  for (const c of cands) {
    const f = burnFeatures(burst.frames, bw, bh, c.box);
    const v = c.label === 'fire' ? judgeFire(f) : judgeSmoke(f, c.score >= thresholds.get(c.label)!, false);
    console.log(`t=${t} ${c.label} ${f2(c.score)} (threshold ${f2(thresholds.get(c.label)!)}) flame ${f2(f.flameFraction)} flicker ${f2(f.flicker)} block ${f2(f.blockToggle)} straight ${f2(f.straightness)} travel ${f2(f.travel)} motion ${f2(f.motionRatio)} sat ${f2(f.saturation)} val ${f.brightness.toFixed(0)} area ${f2(f.boxArea)} → ${v.ok ? 'PASS' : 'refuted'}: ${v.why}`);
  }
}
await det.release();
