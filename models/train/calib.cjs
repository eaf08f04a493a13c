// Calibration helper for quantize.py, run in onnxruntime-node (the production runtime).
//
//   node calib.cjs summary MODEL INPUT.bin N NAMES.json OUT.bin
//     per tensor in NAMES, per batch of 8 images: 1025 sorted quantiles of the tensor's values (the first and the
//     last are the exact min and max) → OUT.bin as float32 [tensor][batch][1025]
//
// INPUT.bin holds N images as float32 NCHW [N,3,416,416], BGR 0–255.
'use strict';
const ort = require('onnxruntime-node');
const fs = require('fs');

const SIZE = 416;
const PER = 3 * SIZE * SIZE;
const STEP = 8;
const Q = 1025;

function readImages(file, n) {
  const b = fs.readFileSync(file);
  const all = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  if (all.length !== n * PER) throw new Error(`${file}: ${all.length / PER} images, expected ${n}`);
  return all;
}

async function* batches(all, n) {
  for (let i = 0; i < n; i += STEP) {
    const k = Math.min(STEP, n - i);
    yield new ort.Tensor('float32', all.slice(i * PER, (i + k) * PER), [k, 3, SIZE, SIZE]);
    process.stderr.write(`  ${Math.min(i + k, n)}/${n} images\r`);
  }
  process.stderr.write('\n');
}

async function summary([model, input, n, namesFile, out]) {
  n = Number(n);
  const names = JSON.parse(fs.readFileSync(namesFile, 'utf8'));
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
  const nb = Math.ceil(n / STEP);
  const res = new Float32Array(names.length * nb * Q);
  let b = 0;
  for await (const x of batches(readImages(input, n), n)) {
    const r = await s.run({ images: x }, names);
    names.forEach((name, t) => {
      const d = r[name].data;
      // a strided sample keeps the sort cheap; the extremes come from every value
      const stride = Math.max(1, Math.floor(d.length / 200000));
      const sample = new Float32Array(Math.ceil(d.length / stride));
      let mn = Infinity, mx = -Infinity;
      for (let j = 0, o = 0; j < d.length; j++) {
        const v = d[j];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (j % stride === 0) sample[o++] = v;
      }
      sample.sort();
      const base = (t * nb + b) * Q;
      for (let q = 0; q < Q; q++) res[base + q] = sample[Math.round((q / (Q - 1)) * (sample.length - 1))];
      res[base] = mn;
      res[base + Q - 1] = mx;
    });
    b++;
  }
  fs.writeFileSync(out, Buffer.from(res.buffer));
}

const [cmd, ...rest] = process.argv.slice(2);
({ summary })[cmd](rest).catch((e) => {
  console.error(e);
  process.exit(1);
});
