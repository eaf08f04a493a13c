import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Box } from '../../../src/contracts/box.js';
import { PatrolError } from '../../../src/errors.js';

/** One labelled image: boxes by class name (already mapped to model class names), normalized xyxy. */
export interface LabelledImage {
  path: string;
  dataset: string;
  boxes: { label: string; box: Box }[];
  /** Classes the image shows but its dataset never labels (indoor_fire's smoke): not scored on it either way. */
  unlabelled?: readonly string[];
}

const IMAGE_EXT = /\.(jpe?g|png|bmp|webp)$/i;

/**
 * Read a YOLO-format folder: `DIR/images/*.jpg` with `DIR/labels/*.txt` beside it (`class cx cy w h`,
 * normalized). `names` maps dataset class ids to the model's class names; unmapped ids are ignored.
 * An image without a label file has no objects.
 */
export function readYoloFolder(dir: string, names: ReadonlyMap<number, string>, dataset = path.basename(dir)): LabelledImage[] {
  const imgDir = path.join(dir, 'images');
  if (!existsSync(imgDir)) {
    throw new PatrolError(
      `${dir} is not a YOLO-format folder: ${imgDir} does not exist.`,
      'Point --data at a folder holding images/ and labels/ (one NAME.txt per NAME.jpg, lines "class cx cy w h" normalized).',
    );
  }
  const files = readdirSync(imgDir).filter((f) => IMAGE_EXT.test(f)).sort();
  return files.map((f) => {
    const labelFile = path.join(dir, 'labels', f.replace(IMAGE_EXT, '.txt'));
    const boxes: LabelledImage['boxes'] = [];
    if (existsSync(labelFile)) {
      readFileSync(labelFile, 'utf8')
        .split('\n')
        .forEach((line, n) => {
          const v = line.trim().split(/\s+/).map(Number);
          if (v.length < 5 || line.trim() === '') return;
          if (v.slice(0, 5).some((x) => !Number.isFinite(x))) {
            throw new PatrolError(`${labelFile}:${n + 1}: expected "class cx cy w h", got "${line.trim()}".`, 'Fix or remove the line.');
          }
          const label = names.get(v[0]!);
          if (label === undefined) return;
          const [, cx, cy, w, h] = v as [number, number, number, number, number];
          boxes.push({ label, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
        });
    }
    return { path: path.join(imgDir, f), dataset, boxes };
  });
}

/**
 * Parse `--names 0=garbage,1=garbage_bin,2=overflow` (dataset class id = model class name). Several ids may
 * map to one name (e.g. every fire size to "fire").
 */
export function parseNames(spec: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*=\s*(.+)$/.exec(part);
    if (!m) {
      throw new PatrolError(`--names: "${part}" is not ID=NAME.`, 'Example: --names 0=garbage,1=garbage_bin,2=overflow');
    }
    out.set(Number(m[1]), m[2]!.trim());
  }
  return out;
}

/** The labelled splits in ../shared and how their class ids map to Patrol's class names. */
export function sharedValidSets(shared: string): { dir: string; dataset: string; names: Map<number, string>; unlabelled?: string[] }[] {
  const root = path.join(shared, 'data/images');
  return [
    { dataset: 'garbage/valid', dir: path.join(root, 'garbage/valid'), names: parseNames('0=garbage,1=garbage_bin,2=overflow') },
    {
      dataset: 'forest_fire/valid',
      dir: path.join(root, 'forest_fire/valid'),
      // Heavy smoke, Large fire, Low smoke, Medium fire, Small fire
      names: parseNames('0=smoke,1=fire,2=smoke,3=fire,4=fire'),
    },
    { dataset: 'small_fire_smoke/test', dir: path.join(root, 'small_fire_smoke/test'), names: parseNames('0=fire,1=smoke') },
    // CCTV and news frames of street, shop and highway fires; many "smoke" boxes are fog cannons.
    { dataset: 'cctv_fire/valid', dir: path.join(root, 'cctv_fire/valid'), names: parseNames('0=fire,1=smoke') },
    // Indoor/CCTV fires whose visible smoke was never labelled.
    { dataset: 'indoor_fire/valid', dir: path.join(root, 'indoor_fire/valid'), names: parseNames('0=fire'), unlabelled: ['smoke'] },
  ];
}
