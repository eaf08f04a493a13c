import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../support/fixture-video.js';

/** The shipped detector, as `patrol run` uses it. */
export const PATROL_DET_MANIFEST = join(REPO, 'models', 'patrol-det.json');

let binsManifest: string | undefined;

/**
 * patrol-det itself (same ONNX file, same thresholds) with its `garbage_bin` class feeding `dumping`.
 *
 * The pipeline, event and fault tests need a video on which the real model raises an event. The fixture
 * generator works without ../shared only with procedural drawings, and on those patrol-det finds one thing
 * reliably: the wheelie bin of `bin_present` (garbage_bin ≈ 0.9 every frame); it sees no drawn stall or
 * drawn garbage bag. Mapping that class to a violation turns the bin scene into a standing incident on every
 * machine, with or without ../shared, while the model, decoding and thresholds stay the shipped ones.
 *
 * Cameras using it set `scene: false`: the scene model rightly takes a bin that stands there from the first
 * frame as the baseline and gates it, and these tests are about the path from a detection to an event.
 */
export function binsAsDumpingManifest(): string {
  if (binsManifest) return binsManifest;
  const m = JSON.parse(readFileSync(PATROL_DET_MANIFEST, 'utf8')) as { name: string; file: string; classes: Array<{ name: string; violation?: string }>; cropCheck?: { file: string } };
  const bin = m.classes.find((c) => c.name === 'garbage_bin');
  if (!bin) throw new Error(`${PATROL_DET_MANIFEST} has no garbage_bin class; the pipeline tests rely on it (see test/support/test-model.ts)`);
  bin.violation = 'dumping';
  m.name = 'patrol-det-bins-as-dumping';
  m.file = join(REPO, 'models', m.file);
  // The crop check too lies beside the shipped manifest, not beside this copy.
  if (m.cropCheck) m.cropCheck.file = join(REPO, 'models', m.cropCheck.file);
  const dir = mkdtempSync(join(tmpdir(), 'patrol-test-model-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  binsManifest = join(dir, 'patrol-det-bins.json');
  writeFileSync(binsManifest, JSON.stringify(m, null, 2));
  return binsManifest;
}
