import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';
import { expectUserError, patrol } from '../faults/support/cli.js';

/**
 * Bad input through the real CLI (issue 8): every mistake a person makes in a config file, a model manifest or
 * on the command line ends in exit code 2 and a short message on stderr that names the thing and the fix —
 * never a stack trace. Each case spawns `node --import tsx src/cli.ts …` exactly as a user would run it.
 */

const SHIPPED = JSON.parse(readFileSync(PATROL_DET_MANIFEST, 'utf8')) as { file: string; classes: unknown[] };
const SHIPPED_ONNX = join(PATROL_DET_MANIFEST, '..', SHIPPED.file);

const GOOD_CONFIG = (manifest: string) => `cameras:
  - id: cam-01
    url: file://clip.mp4
    zones:
      - id: sidewalk
        polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]
        violations: [stall]
detector:
  manifest: ${manifest}
`;

let dir: string;
let video: string;

/** Writes a config file into the test folder and returns its path. */
function config(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The shipped manifest with changes, written beside the test's model files; `file` defaults to the shipped .onnx. */
function manifest(name: string, change: (m: Record<string, unknown>) => void): string {
  const m = JSON.parse(readFileSync(PATROL_DET_MANIFEST, 'utf8')) as Record<string, unknown>;
  m.file = SHIPPED_ONNX;
  delete m.sha256;
  const check = m.cropCheck as { file: string } | undefined;
  if (check) check.file = join(dirname(SHIPPED_ONNX), check.file);
  change(m);
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(m, null, 2));
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'patrol-faults-cli-'));
  video = join(dir, 'clip.mp4');
  execFileSync(resolveFfmpeg().path, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=5', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', video]);
  // Random bytes where an ONNX model should be: a truncated download or a disk error.
  writeFileSync(join(dir, 'corrupt.onnx'), Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 2654435761) >>> 24)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('patrol CLI: bad configuration files', () => {
  it('invalid YAML: file, line and column, the offending lines, and a fix', async () => {
    const f = config('bad-indent.yaml', 'cameras:\n  - id: a\n    url: file://clip.mp4\n   zones: []\ndetector:\n  manifest: m.json\n');
    const r = await patrol(['check-config', '--config', f]);
    expectUserError(r, `${f} is not valid YAML at line 4, column 1`, '   zones: []', /Fix: .*Line up the marked line/);
    expect(r.stderr).not.toMatch(/column 1:.*\(line 4/); // the position once, not twice
    expect(r.stdout).toBe('');
  });

  it('tabs as indentation: says so', async () => {
    const f = config('tabs.yaml', 'cameras:\n\t- id: a\n');
    expectUserError(await patrol(['check-config', '--config', f]), 'is not valid YAML at line 2', 'Fix: Indent with spaces');
  });

  it('unknown key: names it, its place, the key it most likely meant and the allowed keys', async () => {
    const f = config('typo.yaml', GOOD_CONFIG('m.json').replace('    zones:', '    intervalsec: 2\n    zones:'));
    expectUserError(
      await patrol(['check-config', '--config', f]),
      `Invalid configuration in ${f}`,
      "cameras[0]: unknown key 'intervalsec' (did you mean 'intervalSec'?)",
      /allowed here: id, name, url, .*intervalSec/,
      'Fix: ',
    );
  });

  it('an unknown top-level section', async () => {
    const f = config('typo-top.yaml', `${GOOD_CONFIG('m.json')}queu:\n  name: x\n`);
    expectUserError(await patrol(['check-config', '--config', f]), "(top level): unknown key 'queu' (did you mean 'queue'?)");
  });

  it('out-of-range coordinate: the exact point, the bound, the value, the unit', async () => {
    const f = config('range.yaml', GOOD_CONFIG('m.json').replace('[0.9, 1.0]', '[0.9, 1.5]'));
    expectUserError(
      await patrol(['check-config', '--config', f]),
      'cameras[0].zones[0].polygon[2][1]: expected a number at most 1, got 1.5',
      'fractions of the picture, 0 to 1',
      'e.g. polygon: [[0.1, 0.5]',
      'Fix: ',
    );
  });

  it('self-intersecting polygon: names the zone and how to order the points', async () => {
    const f = config('bowtie.yaml', GOOD_CONFIG('m.json').replace('[[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]', '[[0.1, 0.5], [0.9, 1.0], [0.9, 0.5], [0.1, 1.0]]'));
    expectUserError(await patrol(['check-config', '--config', f]), 'cameras[0].zones[0].polygon: the polygon crosses itself', /Fix: List the points in order/);
  });

  it('a value of the wrong type says what it got (not "is required")', async () => {
    const f = config('type.yaml', GOOD_CONFIG('m.json').replace('    zones:', '    intervalSec: "often"\n    zones:'));
    expectUserError(await patrol(['check-config', '--config', f]), 'cameras[0].intervalSec: expected number, got "often"', 'e.g. intervalSec: 5');
  });

  it('a credential variable missing from the environment is named, its value never printed', async () => {
    const f = config('env.yaml', GOOD_CONFIG('m.json').replace('file://clip.mp4', 'rtsp://${CAM_USER}:${CAM_PASS}@10.0.0.5/s1'));
    const r = await patrol(['check-config', '--config', f], { CAM_USER: 'admin', CAM_PASS: '' });
    expectUserError(r, 'uses ${CAM_PASS}, but CAM_PASS is not set', 'Fix: export CAM_PASS=');
  });

  it('a bad PATROL_PORT from the environment', async () => {
    const f = config('port.yaml', GOOD_CONFIG('m.json'));
    expectUserError(await patrol(['check-config', '--config', f], { PATROL_PORT: 'http' }), 'PATROL_PORT=http is not a TCP port', 'Fix: ');
  });

  it('a good file: check-config lists each camera with the transport it gets and why', async () => {
    const f = config(
      'transports.yaml',
      `cameras:
  - { id: gate-3, url: "rtsp://10.0.0.13/s" }
  - { id: market, url: "rtsp://10.0.0.41/s", tour: {} }
  - { id: pinned, url: "rtsp://10.0.0.14/s", transport: ffmpeg }
  - { id: every-frame, url: "rtsp://10.0.0.15/s", decode: interval }
  - { id: tls, url: "rtsps://10.0.0.16/s" }
  - { id: demo, url: "file://clip.mp4" }
  - { id: yard-udp, url: "rtsp://10.0.0.17/s", rtspTransport: udp }
  - { id: ffmpeg-udp, url: "rtsp://10.0.0.18/s", transport: ffmpeg, rtspTransport: udp }
detector:
  manifest: m.json
`,
    );
    const r = await patrol(['check-config', '--config', f]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const line = (id: string) => r.stdout.split('\n').find((l) => l.trim().startsWith(`${id} `)) ?? `(no line for ${id})`;
    expect(line('gate-3')).toMatch(/ native +default for rtsp:\/\/ with keyframe decode$/);
    expect(line('market')).toMatch(/ native +default for rtsp:\/\/ with keyframe decode, toured$/);
    expect(line('pinned')).toMatch(/ ffmpeg +transport: ffmpeg in the config$/);
    expect(line('every-frame')).toMatch(/ ffmpeg +default for decode: interval/);
    expect(line('tls')).toMatch(/ ffmpeg +default for rtsps:\/\//);
    expect(line('demo')).toMatch(/ ffmpeg +default for a file:\/\/ input/);
    expect(line('yard-udp')).toMatch(/ native, RTP over UDP +default for rtsp:\/\/ with keyframe decode$/);
    expect(line('ffmpeg-udp')).toMatch(/ ffmpeg, RTP over UDP +transport: ffmpeg in the config$/);
    // One column for the transport, whatever its words: the reasons line up.
    expect(new Set(['gate-3', 'yard-udp', 'ffmpeg-udp'].map((id) => line(id).search(/ (default|transport:) /))).size).toBe(1);
  });

  it('missing config file: the absolute path and --config', async () => {
    const r = await patrol(['run', '--config', join(dir, 'nope.yaml')]);
    expectUserError(r, `Config file not found: ${join(dir, 'nope.yaml')}`, /Fix: .*--config/);
  });
});

describe('patrol CLI: bad models and manifests', () => {
  const analyze = (manifestPath: string, env: NodeJS.ProcessEnv = {}) => patrol(['analyze', video, '--config', config(`cfg-${Math.random().toString(36).slice(2)}.yaml`, GOOD_CONFIG(manifestPath))], env);

  it('manifest missing', async () => {
    const m = join(dir, 'no-such-manifest.json');
    expectUserError(await analyze(m), `Model manifest ${m} cannot be read: no such file`, /Fix: .*"manifest" path/);
  });

  it('manifest not JSON', async () => {
    const m = join(dir, 'broken.json');
    writeFileSync(m, '{ "name": "x", }');
    expectUserError(await analyze(m), `Model manifest ${m} is not valid JSON`, /Fix: .*trailing comma/);
  });

  it('manifest schema mismatch: every bad field with what was expected and what it got', async () => {
    const m = manifest('schema.json', (j) => {
      j.output = { ...(j.output as object), format: 'yolo9' };
      delete (j.input as Record<string, unknown>).width;
    });
    expectUserError(
      await analyze(m),
      `Model manifest ${m} is invalid`,
      '- input.width: required field is missing (expected number)',
      '- output.format: expected one of "yolox", "ultralytics", "yolov5", got "yolo9"',
      /Fix: .*models\/yolox_nano-coco\.json/,
    );
  });

  it('model file missing: the resolved path, the manifest it came from, how to get it', async () => {
    const m = manifest('missing-model.json', (j) => (j.file = 'no-such-model.onnx'));
    expectUserError(await analyze(m), `not found: ${join(dir, 'no-such-model.onnx')}`, `in ${m}`, /Fix: .*models\/README\.md/);
  });

  it('model file corrupt (random bytes): ONNX Runtime cannot load it, and the fix says why it may be', async () => {
    const m = manifest('corrupt.json', (j) => (j.file = 'corrupt.onnx'));
    expectUserError(await analyze(m), `could not be loaded by ONNX Runtime from ${join(dir, 'corrupt.onnx')}`, /Fix: .*(truncated download|Git LFS)/);
  });

  it('model file replaced (sha256 mismatch): names both hashes', async () => {
    const m = manifest('sha.json', (j) => {
      j.file = 'corrupt.onnx';
      j.sha256 = '0'.repeat(64);
    });
    expectUserError(await analyze(m), /does not match its manifest .*sha256 is [0-9a-f]{64}, the manifest expects 0{64}/, /Fix: .*Restore the file/);
  });

  it(`wrong-shaped model: the manifest lists 3 classes for the ${SHIPPED.classes.length}-class shipped model`, async () => {
    const m = manifest('three-classes.json', (j) => {
      j.classes = [{ name: 'garbage', violation: 'dumping' }, { name: 'fire', violation: 'burning' }, { name: 'smoke', violation: 'burning' }];
      delete j.exclusiveClasses;
    });
    expectUserError(await analyze(m), 'does not match its manifest', `${SHIPPED.classes.length} classes in the model, 3 in the manifest's "classes"`, `Fix: The manifest ${m} does not describe`);
  });

  it('wrong-shaped model: input size in the manifest differs from the model', async () => {
    const m = manifest('size.json', (j) => (j.input = { ...(j.input as object), width: 640, height: 640 }));
    expectUserError(await analyze(m), /input "images" shape expected \[N, 3, 640, 640\].*the model has \[batch, 3, 416, 416\]/, 'Fix: ');
  });

  it('ffmpeg missing (FFMPEG_PATH points nowhere): says which setting and what to install, no stack', async () => {
    expectUserError(await analyze(PATROL_DET_MANIFEST, { FFMPEG_PATH: '/nonexistent/ffmpeg' }), 'FFMPEG_PATH (/nonexistent/ffmpeg) is not a working ffmpeg binary', /apt-get install ffmpeg/);
  });
});

describe('patrol CLI: bad command lines', () => {
  it('analyze with a missing video', async () => {
    const v = join(dir, 'no-such-video.mp4');
    expectUserError(await patrol(['analyze', v]), `Video file not found: ${v}`, 'Fix: ');
  });

  it('analyze with a file that is not a video', async () => {
    const notVideo = config('not-a-video.mp4', 'this is text, not H.264\n');
    const cfg = config('for-not-a-video.yaml', GOOD_CONFIG(PATROL_DET_MANIFEST));
    // Known bug (reported): the process stays up for the 60 s retry timer of the failed camera after printing
    // this; test/faults/cli-exit.spec.ts asserts the prompt exit. Here only the message is checked.
    const r = await patrol(['analyze', notVideo, '--config', cfg], {}, { giveUpAfter: /Fix: .*\n/ });
    expectUserError(r, `Could not read ${notVideo}: not a readable video file`, /Fix: .*ffprobe/);
  });

  it('an unknown option and an unknown command print the usage', async () => {
    const opt = await patrol(['run', '--bogus']);
    expectUserError(opt, "Unknown option '--bogus'", 'Usage:');
    const cmd = await patrol(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("Unknown command 'frobnicate'");
    expect(cmd.stderr).not.toContain('    at ');
  });
});
