import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The system programs the integration tests drive for real, how to tell whether this machine has them, and
 * the command that installs each (Debian, as .ci/run does). vitest.config.ts leaves out the test files that
 * need a missing one and prints one summary, so `npx vitest run` on a bare machine reports what it could
 * not test instead of failing on the first spawn.
 */
export interface Component {
  name: string;
  install: string;
  present: () => boolean;
  /** Source text that marks a test file as needing it (a support module that spawns it, or the program). */
  marker: RegExp;
}

const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;

/** Debian's python, where python3-gi and the GStreamer typelibs live (test/support/rtsp.ts uses the same). */
const PYTHON = process.env.PATROL_RTSP_PYTHON ?? '/usr/bin/python3';
export const CHROMIUM = '/usr/bin/chromium';

export const COMPONENTS: readonly Component[] = [
  {
    name: 'ffmpeg + ffprobe (with libx264)',
    install: 'apt-get install -y ffmpeg',
    present: () => runs('ffprobe', ['-version']) && spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 20_000 }).stdout?.includes('libx264') === true,
    marker: /\bffmpeg\b|\bffprobe\b|fixtureVideo|testClip|createCameraSource|startPipeline|fixtures\/generate/,
  },
  {
    name: 'redis-server',
    install: 'apt-get install -y redis-server',
    present: () => runs('redis-server', ['--version']),
    marker: /support\/redis\.js|redis-server/,
  },
  {
    name: 'GStreamer RTSP server (python3-gi)',
    install: 'apt-get install -y python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly',
    present: () => runs(PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"]),
    marker: /support\/rtsp\.js|fault-rtsp\.js|TestRtspServer|FaultRtspServer/,
  },
  {
    // The training pipeline's own unit tests (models/train/test_model.py); nothing at run time needs torch.
    name: 'PyTorch for the training pipeline (Debian python3-torch)',
    install: 'apt-get install -y python3-torch python3-torchvision python3-opencv python3-onnx',
    present: () => runs(PYTHON, ['-c', 'import torch, torchvision, cv2, onnx']),
    marker: /models\/train\/test_model/,
  },
  {
    name: 'Chromium',
    install: 'apt-get install -y chromium fonts-noto-cjk',
    present: () => existsSync(CHROMIUM),
    marker: /playwright-core|\/usr\/bin\/chromium/,
  },
];

export interface Absent {
  component: Component;
  files: string[];
}

/**
 * The test files under `dirs` (unit tests are not scanned: they mock what they spawn) that need an absent
 * component, per absent component.
 */
export function absentComponents(repo: string, dirs: readonly string[], components: readonly Component[] = COMPONENTS): Absent[] {
  const missing = components.filter((c) => !c.present());
  if (missing.length === 0) return [];
  const files = dirs.flatMap((d) => (readdirSync(join(repo, d), { recursive: true }) as string[]).filter((f) => /\.(test|spec)\.ts$/.test(f)).map((f) => join(repo, d, f)));
  const texts = new Map(files.map((f) => [f, withLocalHelpers(repo, f)]));
  return missing.map((component) => ({ component, files: files.filter((f) => component.marker.test(texts.get(f)!)).map((f) => relative(repo, f)) }));
}

/** A test file's source with that of the test helpers it imports (test/ and support/, followed transitively). */
function withLocalHelpers(repo: string, file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return '';
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const helpers = [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)]
    .map((m) => join(dirname(file), `${m[1]}.ts`))
    .filter((f) => /^(test|support)\//.test(relative(repo, f)) && existsSync(f));
  return [text, ...helpers.map((h) => withLocalHelpers(repo, h, seen))].join('\n');
}

/** The one summary: each missing component, the command that installs it, and the test files left out. */
export function absentSummary(absent: readonly Absent[]): string {
  const lines = ['', 'Not installed on this machine; the test files that need it are left out of this run:'];
  for (const a of absent) lines.push(`  - ${a.component.name}: ${a.files.length} file(s) left out. Install: ${a.component.install}`);
  lines.push('  (`.ci/run` installs everything and runs the whole suite.)', '');
  return lines.join('\n');
}

/** For the vitest configs: prints the summary once and returns the files to leave out (none when all is here). */
export function filesNeedingAbsentComponents(repo: string): string[] {
  const absent = absentComponents(repo, ['test/integration', 'test/e2e', 'test/faults']);
  if (absent.length === 0) return [];
  console.warn(absentSummary(absent));
  return [...new Set(absent.flatMap((a) => a.files))];
}
