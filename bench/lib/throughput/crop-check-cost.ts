/**
 * CPU cost of the model's crop check (manifest `cropCheck`): per analyzed frame without a checked box (nearly every
 * frame: the detector's fire boxes are rare), and per checked box. The inference rows already include it where
 * their frames have such boxes; this row says what one costs. Runnable alone:
 * `npx tsx bench/lib/throughput/crop-check-cost.ts [models/patrol-det.json]`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Detection } from '../../../src/contracts/detections.js';
import type { Frame } from '../../../src/contracts/frame.js';
import { CropCheck } from '../../../src/detect/crop-check.js';
import { parseManifest } from '../../../src/detect/load-manifest.js';

export interface CropCheckCost {
  classes: string[];
  /** CPU-µs per frame whose detections hold no checked class. */
  cpuUsPerFrameWithout: number;
  /** CPU-ms per checked box, from frames holding four. */
  cpuMsPerBox: number;
}

/** Undefined when the manifest has no crop check. */
export async function measureCropCheckCost(manifestPath: string, frames = 400): Promise<CropCheckCost | undefined> {
  const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
  const check = await CropCheck.load(manifest, manifestPath, { threads: 1, verifySha256: false });
  if (!check || !manifest.cropCheck) return undefined;
  try {
    const size = manifest.input.width;
    const data = Buffer.alloc(size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251; // texture, not a flat picture
    const frame: Frame = { cameraId: 'c', timestamp: 0, ptsMs: 0, data, pixelFormat: 'bgr24', width: size, height: size, contentWidth: size, contentHeight: Math.round(size * 0.82), sourceWidth: 704, sourceHeight: 576 };
    const thresholds = new Float32Array(manifest.classes.length);
    const item = (name: string, k: number): Detection => ({ classId: manifest.classes.findIndex((c) => c.name === name), label: name, score: 0.5, box: [0.05 + 0.2 * k, 0.3, 0.2 + 0.2 * k, 0.6] });
    const checked = manifest.cropCheck.classes[0]!.name;
    const other = manifest.classes.find((c) => !manifest.cropCheck!.classes.some((k) => k.name === c.name))?.name ?? checked;
    const time = async (items: Detection[], n: number) => {
      for (let i = 0; i < 20; i++) await check.apply([frame], [items], thresholds);
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < n; i++) await check.apply([frame], [items], thresholds);
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / 1000 / n;
    };
    const without = await time([item(other, 0), item(other, 1), item(other, 2)], frames * 10);
    const four = await time([0, 1, 2, 3].map((k) => item(checked, k)), frames);
    return { classes: manifest.cropCheck.classes.map((c) => c.name), cpuUsPerFrameWithout: without * 1000, cpuMsPerBox: four / 4 };
  } finally {
    await check.release();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const c = await measureCropCheckCost(process.argv[2] ?? 'models/patrol-det.json');
  if (!c) console.log('this model has no crop check');
  else console.log(`crop check (${c.classes.join(', ')}): ${c.cpuMsPerBox.toFixed(2)} CPU-ms per checked box, ${c.cpuUsPerFrameWithout.toFixed(2)} CPU-µs per frame without one`);
}
