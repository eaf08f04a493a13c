/**
 * bench:real — Patrol on real footage, scored against a folder of truth (the format of ../shared/data/real).
 *
 *   npm run bench:real                          ../shared/data/real (skips with a message when absent)
 *   npm run bench:real -- --data DIR            your own folder: DIR/clips.json and/or DIR/images.csv
 *
 * Clips run through the production `patrol analyze` path (file timestamps, the shipped config's rules unless the
 * clip names a config); each expected event must open inside its [from, to] window, any other event is a false
 * alarm. Stills run through the production detector: a violation is found when a detection of a class feeding it
 * passes the manifest's threshold.
 * Options: --config FILE (config/default.yaml), --out DIR (bench/results), --targets FILE (bench/targets.json),
 * --no-clips, --no-images, --limit N (first N stills), --relabels FILE|none (default: bench/real-relabels.csv with the
 * default data; disputed still labels, file,label,reason — the data set's own figures are printed beside them).
 * Exit status: 0 targets met, 1 a target missed, 2 bad input (each bad entry on one line; the rest still runs).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ViolationType } from '../src/contracts/violation.js';
import { loadConfig } from '../src/config/load-config.js';
import { resolveFfmpeg } from '../src/decode/ffmpeg-path.js';
import { probeKeyframes } from '../src/decode/keyframe-gap.js';
import { Detector } from '../src/detect/detector.js';
import { PatrolError } from '../src/errors.js';
import { analyzeVideo } from '../src/pipeline/analyze-command.js';
import { Progress } from './lib/shared/progress.js';
import { loadTargetsSection } from './lib/shared/targets-file.js';
import { detectImages } from './lib/shared/run-images.js';
import { type ClipEvent, type ClipScore, type StillDetail, type StillResult, anyViolationRate, clipStats, imageStats, scoreClip, stillErrors } from './lib/real/score.js';
import { type RealCheck, RealTargetsSchema, checkRealTargets } from './lib/real/targets.js';
import { clipTimelineSvg } from './lib/real/timeline-svg.js';
import { type BadEntry, type Clip, type ImageLabel, type Relabel, readRealTruth, readRelabels } from './lib/real/truth.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA = path.resolve(REPO, '../shared/data/real');
/** Our disputed labels of DEFAULT_DATA's stills, reviewed in the open (see the file's comments). */
const DEFAULT_RELABELS = path.join(REPO, 'bench/real-relabels.csv');

interface Args {
  data: string;
  dataGiven: boolean;
  config: string;
  out: string;
  targets: string;
  clips: boolean;
  images: boolean;
  limit?: number;
  /** A relabel list (file,label,reason), or undefined for the data set's labels as they are. */
  relabels?: string;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      config: { type: 'string', default: path.join(REPO, 'config/default.yaml') },
      out: { type: 'string', default: path.join(REPO, 'bench/results') },
      targets: { type: 'string', default: path.join(REPO, 'bench/targets.json') },
      'no-clips': { type: 'boolean', default: false },
      'no-images': { type: 'boolean', default: false },
      limit: { type: 'string' },
      relabels: { type: 'string' },
    },
    strict: true,
  });
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new PatrolError(`--limit expects a positive integer, got "${values.limit}".`, 'Example: --limit 50');
  return {
    data: path.resolve(values.data ?? DEFAULT_DATA),
    dataGiven: values.data !== undefined,
    config: path.resolve(values.config!),
    out: path.resolve(values.out!),
    targets: path.resolve(values.targets!),
    clips: !values['no-clips'],
    images: !values['no-images'],
    limit,
    // The repository's list is about ../shared's stills: applied by default only there.
    relabels:
      values.relabels === 'none'
        ? undefined
        : values.relabels !== undefined
          ? path.resolve(values.relabels)
          : values.data === undefined && existsSync(DEFAULT_RELABELS)
            ? DEFAULT_RELABELS
            : undefined,
  };
}

interface ClipRun {
  clip: Clip;
  durationSec: number;
  framesAnalyzed: number;
  decode: string;
  intervalSec: number;
  seconds: number;
  events: ClipEvent[];
  score: ClipScore;
  svg: string;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

async function runClip(clip: Clip, a: Args, bad: BadEntry[]): Promise<ClipRun | undefined> {
  const where = `clips.json[${clip.index}] (${clip.file})`;
  const probe = await probeKeyframes(resolveFfmpeg().path, clip.path).catch((err: Error) => err);
  if (probe instanceof Error) {
    bad.push({ where, message: `ffmpeg cannot read the video: ${probe.message.split('\n').filter(Boolean).pop() ?? probe.message}`, fix: 'check the file with ffprobe, or re-encode it (ffmpeg -i IN -c:v libx264 OUT.mp4)' });
    return undefined;
  }
  const r = await analyzeVideo({
    video: clip.path,
    configPath: clip.configPath ?? a.config,
    zones: clip.zones,
    intervalSec: clip.interval,
    violations: clip.violations,
    keepFrames: true,
  });
  if (r.state === 'failed' || r.framesAnalyzed === 0) {
    bad.push({ where, message: `no frame could be analyzed (${r.reason ?? r.state})`, fix: 'check the file with ffprobe, or re-encode it (ffmpeg -i IN -c:v libx264 OUT.mp4)' });
    return undefined;
  }
  const opened = new Map<string, ClipEvent>();
  for (const ch of r.changes) {
    const e = ch.event;
    opened.set(e.id, { type: e.type, openSec: e.confirmedAt / 1000, startSec: e.startedAt / 1000, endSec: e.endedAt === null ? null : e.endedAt / 1000, peakScore: e.peakScore });
  }
  const events = [...opened.values()];
  const score = scoreClip(clip.expect, events);
  const durationSec = Math.max(probe.lastSec, ...(r.frames ?? []).map((f) => f.timeSec));
  const frames = (r.frames ?? []).map((f) => {
    const scores: Partial<Record<ViolationType, number>> = {};
    for (const v of clip.violations) scores[v] = Math.max(0, ...f.detections.items.filter((d) => d.violation === v).map((d) => d.score));
    return { timeSec: f.timeSec, scores };
  });
  const svg = `real-${slug(path.basename(clip.file, path.extname(clip.file)))}.svg`;
  writeFileSync(path.join(a.out, svg), clipTimelineSvg({ title: `${clip.file} — ${clip.violations.join(', ')}${clip.expect.length === 0 ? ' (negative clip)' : ''}`, durationSec, violations: clip.violations, frames, score }));
  return { clip, durationSec, framesAnalyzed: r.framesAnalyzed, decode: r.decode, intervalSec: r.intervalSec, seconds: r.seconds, events, score, svg };
}

async function runImages(files: { path: string }[], manifest: string): Promise<{ found: ViolationType[][]; because: string[][]; model: string }> {
  const det = await Detector.load(manifest, { threads: 2, maxBatch: 8 });
  const p = new Progress('stills', files.length);
  try {
    const dets = await detectImages(det, files.map((f) => f.path), (n) => p.tick(n));
    return {
      found: dets.map((items) => ViolationType.options.filter((v) => items.some((d) => d.violation === v))),
      because: dets.map((items) => items.filter((d) => d.violation).sort((x, y) => y.score - x.score).map((d) => `${d.label} ${d.score.toFixed(2)}`)),
      model: `${det.manifest.name} ${det.manifest.version}`,
    };
  } finally {
    await det.release();
  }
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null, d = 2) => (v === null ? 'n/a' : v.toFixed(d));

export async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  if (!existsSync(a.data)) {
    if (a.dataGiven) throw new PatrolError(`--data ${a.data}: no such folder.`, 'Point --data at a folder holding clips.json and/or images.csv.');
    console.log(`bench:real: skipped — ${a.data} is absent (../shared is not beside this checkout). Run with --data DIR on your own footage (clips.json, images.csv; see bench/README.md).`);
    return 0;
  }
  const targets = loadTargetsSection(a.targets, 'real', RealTargetsSchema);
  const { config } = loadConfig(a.config);
  const truth = readRealTruth(a.data);
  if (!truth.has.clips && !truth.has.images) throw new PatrolError(`${a.data} holds neither clips.json nor images.csv.`, 'Add one of them (see bench/README.md for the format).');
  mkdirSync(a.out, { recursive: true });
  const bad = truth.bad;

  const runs: ClipRun[] = [];
  if (a.clips) {
    for (const clip of truth.clips) {
      process.stderr.write(`clip ${clip.file} (${clip.violations.join(', ')}) …\n`);
      const r = await runClip(clip, a, bad).catch((err: Error) => {
        bad.push({ where: `clips.json[${clip.index}] (${clip.file})`, message: err.message, fix: err instanceof PatrolError && err.hint ? err.hint : 'see the message' });
        return undefined;
      });
      if (r) runs.push(r);
    }
  }
  const stills = truth.images.slice(0, a.limit);
  if (a.relabels && !existsSync(a.relabels)) throw new PatrolError(`--relabels ${a.relabels}: no such file.`, 'Give a file,label,reason CSV, or --relabels none for the data set\'s own labels.');
  const relabels = a.relabels ? readRelabels(a.relabels, bad) : new Map<string, Relabel>();
  let stillResults: StillDetail[] = [];
  let rawResults: StillResult[] = [];
  const relabelled: { file: string; from: ImageLabel; to: ImageLabel; reason: string; found: ViolationType[] }[] = [];
  let stillModel = '';
  if (a.images && stills.length > 0) {
    const r = await runImages(stills, config.detector.manifest);
    rawResults = stills.map((s, i) => ({ label: s.label, found: r.found[i]! }));
    stillResults = stills.map((s, i) => {
      const re = relabels.get(s.file);
      if (re && re.label !== s.label) relabelled.push({ file: s.file, from: s.label, to: re.label, reason: re.reason, found: r.found[i]! });
      return { file: s.file, label: re?.label ?? s.label, found: r.found[i]!, because: r.because[i]! };
    });
    stillModel = r.model;
  }

  const tallies = runs.map((r) => ({ violations: r.clip.violations, durationSec: r.durationSec, score: r.score }));
  const clipByType = Object.fromEntries(ViolationType.options.map((v) => [v, clipStats(tallies, v)])) as Record<ViolationType, ReturnType<typeof clipStats>>;
  const imgByType = Object.fromEntries(ViolationType.options.map((v) => [v, imageStats(stillResults, v)])) as Record<ViolationType, ReturnType<typeof imageStats>>;
  const any = anyViolationRate(stillResults);
  const errors = stillErrors(stillResults);
  const rawImg = Object.fromEntries(ViolationType.options.map((v) => [v, imageStats(rawResults, v)])) as Record<ViolationType, ReturnType<typeof imageStats>>;
  const rawAny = anyViolationRate(rawResults);
  const rawLine = ViolationType.options
    .filter((v) => rawImg[v].positives > 0)
    .map((v) => `${v} recall ${rawImg[v].found}/${rawImg[v].positives} = ${pct(rawImg[v].recall)}`)
    .concat(`negatives raising any ${rawAny.alarmed}/${rawAny.negatives} = ${pct(rawAny.rate)}`)
    .join(', ');
  const checks = checkRealTargets(targets, clipByType, imgByType, any.rate, { clips: a.clips && runs.length > 0, images: a.images && stillResults.length > 0 });

  // Terminal.
  for (const b of bad) console.log(`bad input  ${b.where}: ${b.message} — fix: ${b.fix}`);
  for (const r of runs) {
    const verdict = r.score.expects.map((x) => `${x.expect.type} [${x.expect.from}–${x.expect.to} s] ${x.verdict.toUpperCase()}`).concat(r.score.events.filter((e) => e.verdict === 'false').map((e) => `FALSE ${e.event.type} at ${e.event.openSec.toFixed(1)} s`));
    console.log(`clip  ${r.clip.file}: ${r.framesAnalyzed} frames (${r.decode}, every ${r.intervalSec} s) in ${r.seconds.toFixed(1)} s; events ${r.events.map((e) => `${e.type}@${e.openSec.toFixed(1)}s peak ${e.peakScore.toFixed(2)}`).join(', ') || 'none'}; ${verdict.join('; ') || 'negative clip: no event — ok'}`);
  }
  for (const v of ViolationType.options) {
    const c = clipByType[v];
    const i = imgByType[v];
    if (c.hours === 0 && i.positives === 0) continue;
    console.log(`${v.padEnd(8)} clips: recall ${c.expected > 0 ? `${c.hits}/${c.expected}` : 'n/a'}, false ${c.falseEvents} (${num(c.falsePerHour, 1)} per clip-hour) · stills: recall ${i.positives > 0 ? `${i.found}/${i.positives} = ${pct(i.recall)}` : 'n/a'}, on negatives ${i.falsePositives}/${i.negatives}`);
  }
  if (stillResults.length > 0) console.log(`negative stills raising any violation: ${any.alarmed}/${any.negatives} = ${pct(any.rate)}`);
  if (relabelled.length > 0) console.log(`${relabelled.length} stills relabelled by ${path.relative(REPO, a.relabels!)} (figures above and targets use them); with the data set's own labels: ${rawLine}`);
  const f = (c: RealCheck) => (c.what.includes('per clip-hour') ? num(c.value, 1) : pct(c.value));
  for (const c of checks) console.log(`${(c.ok === undefined ? 'not measured' : c.ok ? 'ok' : 'MISSED').padEnd(12)} ${c.what} = ${f(c)} (target ${c.lowerIsBetter ? '≤' : '≥'} ${c.what.includes('per clip-hour') ? c.target : pct(c.target)})`);

  // Files.
  const result = {
    date: new Date().toISOString(),
    data: a.data,
    config: path.relative(REPO, a.config),
    stillModel,
    clips: runs.map((r) => ({ file: r.clip.file, violations: r.clip.violations, durationSec: r.durationSec, framesAnalyzed: r.framesAnalyzed, decode: r.decode, intervalSec: r.intervalSec, seconds: r.seconds, events: r.score.events.map((e) => ({ ...e.event, verdict: e.verdict })), expects: r.score.expects.map((x) => ({ ...x.expect, verdict: x.verdict })), timeline: r.svg })),
    perViolation: Object.fromEntries(ViolationType.options.map((v) => [v, { clips: clipByType[v], images: imgByType[v] }])),
    negativeStills: any,
    falseAlarmStills: errors.falseAlarms.map((e) => ({ file: e.file, found: e.found, because: e.because })),
    missedStills: errors.misses.map((e) => ({ file: e.file, label: e.label, because: e.because })),
    relabels: a.relabels ? { file: path.relative(REPO, a.relabels), stills: relabelled, rawPerViolation: rawImg, rawNegativeStills: rawAny } : undefined,
    bad,
    checks,
  };
  writeFileSync(path.join(a.out, 'real.json'), `${JSON.stringify(result, null, 2)}\n`);
  const md: string[] = [
    '# bench:real — Patrol on real footage',
    '',
    `${result.date}; data \`${a.data}\`; config \`${result.config}\`${stillModel ? `; model ${stillModel}` : ''}. Produced by \`npm run bench:real\`.`,
    '',
  ];
  if (runs.length > 0) {
    md.push('## Clips', '', '| clip | checked | frames | events (type @ open, peak) | verdict | timeline |', '|---|---|---:|---|---|---|');
    for (const r of runs) {
      const ev = r.events.map((e) => `${e.type} @ ${e.openSec.toFixed(1)} s, ${e.peakScore.toFixed(2)}`).join('<br>') || '—';
      const v = [...r.score.expects.map((x) => `${x.expect.type} ${x.expect.from}–${x.expect.to} s: **${x.verdict}**`), ...r.score.events.filter((e) => e.verdict === 'false').map((e) => `**false** ${e.event.type}`)].join('<br>') || 'negative: none raised';
      md.push(`| ${r.clip.file} | ${r.clip.violations.join(', ')} | ${r.framesAnalyzed} (${r.decode}, ${r.intervalSec} s) | ${ev} | ${v} | [svg](${r.svg}) |`);
    }
    md.push('');
  }
  md.push('## Per violation', '', '| violation | clip recall | false events / clip-hour | still recall | negatives raising it |', '|---|---|---|---|---|');
  for (const v of ViolationType.options) {
    const c = clipByType[v];
    const i = imgByType[v];
    md.push(`| ${v} | ${c.expected > 0 ? `${c.hits}/${c.expected}` : 'n/a'} | ${c.hours > 0 ? `${c.falseEvents} in ${(c.hours * 60).toFixed(1)} min (${num(c.falsePerHour, 1)})` : 'n/a'} | ${i.positives > 0 ? `${i.found}/${i.positives} = ${pct(i.recall)}` : 'n/a'} | ${i.negatives > 0 ? `${i.falsePositives}/${i.negatives} = ${pct(i.falsePositiveRate)}` : 'n/a'} |`);
  }
  if (stillResults.length > 0) md.push('', `Negative stills raising any violation: ${any.alarmed}/${any.negatives} = ${pct(any.rate)}.`);
  if (relabelled.length > 0) {
    md.push('', `### Relabelled stills`, '', `${relabelled.length} stills are taken with another label than the data set gives them (\`${path.relative(REPO, a.relabels!)}\`, each with its reason); the figures above and the targets use them. With the data set's own labels: ${rawLine}.`, '', '| still | data set | taken as | why | found |', '|---|---|---|---|---|');
    for (const r of relabelled) md.push(`| ${path.basename(r.file)} | ${r.from} | ${r.to} | ${r.reason} | ${r.found.join(', ') || '—'} |`);
  }
  if (errors.falseAlarms.length > 0) {
    md.push('', '### Negative stills that raise a violation', '', 'With the detections that raised it (class, score after the crop check); the pictures to look at first.', '', '| still | raises | because of |', '|---|---|---|');
    for (const e of errors.falseAlarms) md.push(`| ${path.basename(e.file)} | ${e.found.join(', ')} | ${e.because.join(', ')} |`);
  }
  if (errors.misses.length > 0) {
    md.push('', '### Stills whose violation was not found', '', '| still | label | found instead |', '|---|---|---|');
    for (const e of errors.misses) md.push(`| ${path.basename(e.file)} | ${e.label} | ${e.because.join(', ') || '—'} |`);
  }
  md.push('', '## Targets', '', ...checks.map((c) => `- ${c.ok === undefined ? 'not measured' : c.ok ? 'ok' : '**MISSED**'}: ${c.what} = ${f(c)} (target ${c.lowerIsBetter ? '≤' : '≥'} ${c.what.includes('per clip-hour') ? c.target : pct(c.target)})`));
  if (bad.length > 0) md.push('', '## Bad input', '', ...bad.map((b) => `- ${b.where}: ${b.message} — fix: ${b.fix}`));
  writeFileSync(path.join(a.out, 'real.md'), `${md.join('\n')}\n`);
  console.log(`reports in ${path.relative(process.cwd(), a.out) || '.'}/real.{md,json} and real-*.svg`);
  if (bad.length > 0) return 2;
  return checks.some((c) => c.ok === false) ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof PatrolError) console.error(`bench:real: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ''}`);
      else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`bench:real: ${(err as Error).message}\n  usage: see the comment at the top of bench/real.ts`);
      else console.error(err);
      process.exit(2);
    },
  );
}
