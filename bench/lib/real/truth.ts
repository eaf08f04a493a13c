import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ViolationType } from '../../../src/contracts/violation.js';

/**
 * The truth format of bench:real (the format of ../shared/data/real): `clips.json` for videos, `images.csv`
 * for stills. Each entry is validated on its own, so one bad line is reported and the rest of the set still runs.
 */

export const ExpectSchema = z
  .object({
    type: ViolationType,
    from: z.number().min(0).describe('earliest file time (s) the event may open'),
    to: z.number().min(0).describe('latest file time (s) the event may open'),
  })
  .strict()
  .refine((e) => e.to >= e.from, { message: '"to" must not be before "from"', path: ['to'] });

export const ClipSchema = z
  .object({
    file: z.string().min(1),
    violations: z.array(ViolationType).min(1),
    zones: z.enum(['full-frame', 'config']).default('full-frame'),
    expect: z.array(ExpectSchema),
    note: z.string().optional(),
    interval: z.number().positive().max(60).optional(),
    config: z.string().optional(),
  })
  .strict()
  .refine((c) => c.zones !== 'config' || c.config !== undefined, { message: '"zones": "config" needs a "config" file', path: ['config'] })
  .refine((c) => c.expect.every((e) => c.violations.includes(e.type)), { message: 'an expected type is not in "violations"', path: ['expect'] });
export type Clip = z.infer<typeof ClipSchema> & { index: number; path: string; configPath?: string };

export const IMAGE_LABELS = ['stall', 'dumping', 'burning', 'none'] as const;
export type ImageLabel = (typeof IMAGE_LABELS)[number];
export interface LabelledStill {
  line: number;
  file: string;
  path: string;
  label: ImageLabel;
}

/** One line of bad input: where, what is wrong, how to fix it. */
export interface BadEntry {
  where: string;
  message: string;
  fix: string;
}

export interface RealTruth {
  dir: string;
  clips: Clip[];
  images: LabelledStill[];
  bad: BadEntry[];
  /** Which of the two files were present. */
  has: { clips: boolean; images: boolean };
}

const issueText = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ');

export function readClips(dir: string, bad: BadEntry[]): Clip[] {
  const file = path.join(dir, 'clips.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    bad.push({ where: 'clips.json', message: `cannot be read: ${(err as Error).message}`, fix: 'write a JSON array of {file, violations, zones, expect} (see bench/README.md)' });
    return [];
  }
  if (!Array.isArray(json)) {
    bad.push({ where: 'clips.json', message: 'is not a JSON array', fix: 'wrap the clip entries in [ … ]' });
    return [];
  }
  const clips: Clip[] = [];
  json.forEach((entry, index) => {
    const name = entry && typeof entry === 'object' && typeof (entry as { file?: unknown }).file === 'string' ? ` (${(entry as { file: string }).file})` : '';
    const where = `clips.json[${index}]${name}`;
    const r = ClipSchema.safeParse(entry);
    if (!r.success) {
      bad.push({ where, message: issueText(r.error), fix: 'fields: file, violations [stall|dumping|burning], zones "full-frame"|"config", expect [{type, from, to}], optional interval, config' });
      return;
    }
    const p = path.resolve(dir, r.data.file);
    if (!existsSync(p)) {
      bad.push({ where, message: `video ${p} not found`, fix: 'put the video at that path relative to clips.json, or correct "file"' });
      return;
    }
    let configPath: string | undefined;
    if (r.data.config !== undefined) {
      configPath = path.resolve(dir, r.data.config);
      if (!existsSync(configPath)) {
        bad.push({ where, message: `config ${configPath} not found`, fix: 'correct "config" (a Patrol config file, relative to clips.json) or drop it to use the shipped config' });
        return;
      }
    }
    clips.push({ ...r.data, index, path: p, configPath });
  });
  return clips;
}

/** images.csv: a `file,label` header, then one still per line (paths relative to the file). */
export function readImages(dir: string, bad: BadEntry[]): LabelledStill[] {
  const file = path.join(dir, 'images.csv');
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase().replace(/\s/g, '');
  if (header !== 'file,label') {
    bad.push({ where: 'images.csv:1', message: `header is "${lines[0] ?? ''}"`, fix: 'the first line must be: file,label' });
    return [];
  }
  const out: LabelledStill[] = [];
  lines.slice(1).forEach((raw, k) => {
    const line = k + 2;
    if (raw.trim() === '') return;
    const cut = raw.lastIndexOf(',');
    const f = cut < 0 ? raw.trim() : raw.slice(0, cut).trim();
    const label = cut < 0 ? '' : raw.slice(cut + 1).trim();
    const where = `images.csv:${line} (${f})`;
    if (!(IMAGE_LABELS as readonly string[]).includes(label)) {
      bad.push({ where, message: `label "${label}" is not one of ${IMAGE_LABELS.join(' | ')}`, fix: `write the label as one of ${IMAGE_LABELS.join(', ')}` });
      return;
    }
    const p = path.resolve(dir, f);
    if (!existsSync(p)) {
      bad.push({ where, message: `image ${p} not found`, fix: 'correct the path (relative to images.csv) or remove the line' });
      return;
    }
    out.push({ line, file: f, path: p, label: label as ImageLabel });
  });
  return out;
}

export function readRealTruth(dir: string): RealTruth {
  const bad: BadEntry[] = [];
  const has = { clips: existsSync(path.join(dir, 'clips.json')), images: existsSync(path.join(dir, 'images.csv')) };
  return { dir, clips: has.clips ? readClips(dir, bad) : [], images: has.images ? readImages(dir, bad) : [], bad, has };
}

/** A still whose label in the data set we dispute, with what we take it to be and why. */
export interface Relabel {
  label: ImageLabel;
  reason: string;
}

/**
 * A relabel list: `file,label,reason` (file exactly as in images.csv, reason the rest of the line). Kept in the
 * repository beside the benchmark so every disputed label is reviewed in the open, with its reason; bench:real
 * reports the data set's own figures next to the relabelled ones.
 */
export function readRelabels(file: string, bad: BadEntry[]): Map<string, Relabel> {
  const out = new Map<string, Relabel>();
  const name = path.basename(file);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines[0]?.trim().toLowerCase().replace(/\s/g, '') !== 'file,label,reason') {
    bad.push({ where: `${name}:1`, message: `header is "${lines[0] ?? ''}"`, fix: 'the first line must be: file,label,reason' });
    return out;
  }
  lines.slice(1).forEach((raw, k) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const [f, label, ...rest] = raw.split(',');
    const where = `${name}:${k + 2}`;
    if (!(IMAGE_LABELS as readonly string[]).includes(label?.trim() ?? '')) {
      bad.push({ where, message: `label "${label ?? ''}" is not one of ${IMAGE_LABELS.join(' | ')}`, fix: `write the label as one of ${IMAGE_LABELS.join(', ')}` });
      return;
    }
    const reason = rest.join(',').trim();
    if (!reason) {
      bad.push({ where, message: 'no reason given', fix: 'say why the data set\'s label is wrong in the third column' });
      return;
    }
    out.set(f!.trim(), { label: label!.trim() as ImageLabel, reason });
  });
  return out;
}
