/**
 * The camera farm as a process of its own (farm-process.ts starts it), so its CPU is measured apart from the
 * client's. Encodes the pictures once, serves N mounts, prints `READY <port>` on stdout; a line `stats` on
 * stdin is answered with one JSON line of FarmStats; it exits when stdin closes, i.e. when its parent dies,
 * however it dies.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { encodeStream } from '../encoded-stream.js';
import { CameraFarmServer } from './farm-server.js';

const { values: a } = parseArgs({
  options: {
    mounts: { type: 'string' },
    port: { type: 'string', default: '0' },
    source: { type: 'string' },
    width: { type: 'string', default: '704' },
    height: { type: 'string', default: '576' },
    fps: { type: 'string', default: '25' },
    gop: { type: 'string', default: '50' },
    'loop-sec': { type: 'string', default: '20' },
    bitrate: { type: 'string', default: '512k' },
  },
});

function int(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`camera farm: --${name} must be a whole number, got ${v ?? 'nothing'}`);
  return n;
}

async function main(): Promise<void> {
  const mounts = int('mounts', a.mounts);
  if (mounts < 1) throw new Error('camera farm: --mounts must be at least 1');
  const fps = int('fps', a.fps);
  const gop = int('gop', a.gop);
  // Whole GOPs, so the loop's seam is a keyframe like every other.
  const gops = Math.max(1, Math.round((int('loop-sec', a['loop-sec']) * fps) / gop));
  const stream = await encodeStream({ codec: 'h264', width: int('width', a.width), height: int('height', a.height), fps, gop, seconds: (gops * gop) / fps, source: a.source, bitrate: a.bitrate });
  stream.units = stream.units.slice(0, Math.floor(stream.units.length / gop) * gop);
  const farm = await CameraFarmServer.start({ mounts, stream, port: int('port', a.port) });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (l) => l.trim() === 'stats' && process.stdout.write(`STATS ${JSON.stringify(farm.stats)}\n`));
  lines.on('close', () => process.exit(0));
  process.stdout.write(`READY ${farm.port} ${stream.units.length} pictures, GOP ${gop}, ${stream.width}x${stream.height}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
