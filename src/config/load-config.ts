import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument, type YAMLError } from 'yaml';
import { PatrolError } from '../errors.js';
import { ConfigSchema, LogLevelSchema, type PatrolConfig } from './schema.js';
import { formatConfigIssues } from './format-issues.js';
import { checkConfigSemantics } from './semantics.js';

export interface LoadedConfig {
  config: PatrolConfig;
  /** Absolute path of the file it came from. */
  file: string;
}

/** `${NAME}` and `${NAME:-default}` from the environment, so credentials stay out of the file. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, file: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new PatrolError(`${file} uses \${${name}}, but ${name} is not set in the environment.`, `export ${name}=… before starting, or write \${${name}:-default} in the file.`);
  });
}

function substituteEnvDeep(value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  if (typeof value === 'string') return substituteEnv(value, env, file);
  if (Array.isArray(value)) return value.map((v) => substituteEnvDeep(v, env, file));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnvDeep(v, env, file)]));
  return value;
}

/** The interval the camera is actually analyzed at: the shortest one any of its enabled violations asks for. */
export function effectiveIntervalSec(camera: Pick<PatrolConfig['cameras'][number], 'intervalSec' | 'intervals' | 'violations'>): number {
  if (!camera.intervals) return camera.intervalSec;
  return Math.min(...camera.violations.map((v) => camera.intervals?.[v] ?? camera.intervalSec));
}

/** A relative file:// URL or manifest path is relative to the config file, not the working directory. */
function resolvePaths(config: PatrolConfig, baseDir: string): PatrolConfig {
  const cameras = config.cameras.map((c) => {
    if (!c.url.startsWith('file://')) return c;
    const p = c.url.slice('file://'.length);
    const abs = isAbsolute(p) ? p : resolve(baseDir, p);
    return { ...c, url: pathToFileURL(abs).href };
  }).map((c) => ({ ...c, intervalSec: effectiveIntervalSec(c) }));
  const manifest = isAbsolute(config.detector.manifest) ? config.detector.manifest : resolve(baseDir, config.detector.manifest);
  return { ...config, cameras, detector: { ...config.detector, manifest } };
}

/** Deployment settings ops set per machine (Docker, systemd) without editing the shared config file. */
function applyEnvOverrides(config: PatrolConfig, env: NodeJS.ProcessEnv, file: string): PatrolConfig {
  const redisUrl = env.REDIS_URL?.trim() || config.queue.redisUrl || undefined;
  const dir = env.PATROL_STORAGE_DIR?.trim() || config.storage.dir;
  const host = env.PATROL_HOST?.trim() || config.review.host;
  let port = config.review.port;
  if (env.PATROL_PORT?.trim()) {
    port = Number(env.PATROL_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new PatrolError(`PATROL_PORT=${env.PATROL_PORT} is not a TCP port (used with ${file}).`, 'Set PATROL_PORT to a number from 0 to 65535, e.g. PATROL_PORT=8080, or unset it.');
    }
  }
  const level = LogLevelSchema.safeParse(env.PATROL_LOG_LEVEL?.trim());
  const log = level.success ? { level: level.data } : config.log;
  return { ...config, queue: { ...config.queue, redisUrl }, storage: { dir }, review: { ...config.review, host, port }, log };
}

const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'Indent with spaces; YAML does not allow tabs.',
  DUPLICATE_KEY: 'Remove or rename the repeated key; each key may appear once in a mapping.',
  MISSING_CHAR: 'Line up the marked line with its siblings (same number of spaces as the keys or "- " items around it), and close any quote or bracket left open.',
};
const YAML_HINT = 'Check indentation (spaces, not tabs) and that every "key: value" pair is on its own line.';

/**
 * One YAML syntax error as a PatrolError: file, line and column once, the parser's message without its own
 * position, the offending lines with the caret, and a fix for the common causes.
 */
function yamlError(e: YAMLError, file: string): PatrolError {
  const [first = '', ...context] = e.message.split('\n');
  const what = first.replace(/ at line \d+, column \d+:?\s*$/, '').trim();
  const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
  const snippet = context.filter((l) => l.trim() !== '').map((l) => `    ${l}`);
  return new PatrolError(`${file} is not valid YAML${where}: ${what}${snippet.length ? `\n${snippet.join('\n')}` : ''}`, YAML_HINTS[e.code] ?? YAML_HINT);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): PatrolConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw yamlError(doc.errors[0]!, file);
  // Substituted after parsing, in string values only: comments are left alone, and a value from the
  // environment can never change the YAML's structure.
  const raw: unknown = substituteEnvDeep(doc.toJS() ?? {}, env, file);
  const parsed = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new PatrolError(formatConfigIssues(file, parsed.error.issues, ConfigSchema), 'Edit the fields above; config/schema.json documents every field (editors with YAML support use it for completion).');
  }
  const problems = checkConfigSemantics(parsed.data);
  if (problems.length > 0) {
    throw new PatrolError(`Invalid configuration in ${file}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`, problems[0]!.fix);
  }
  return resolvePaths(applyEnvOverrides(parsed.data, env, file), dirname(file));
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new PatrolError(`Config file not found: ${file}`, 'Pass an existing file with --config, e.g. --config config/default.yaml (the demo configuration).');
  }
  return { config: parseConfig(readFileSync(file, 'utf8'), file, env), file };
}

export function fileUrlToPath(url: string): string {
  return fileURLToPath(url);
}
