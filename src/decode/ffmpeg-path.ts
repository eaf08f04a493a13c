import { PatrolError } from '../errors.js';
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { childEnv } from './secret-input.js';

/** What the argument builder must know about the binary, detected from its own help text. */
export interface FfmpegFeatures {
  /** `-fps_mode` exists (ffmpeg ≥ 5.1); older builds need `-vsync 0`. */
  fpsMode: boolean;
  /**
   * The RTSP socket I/O timeout option, in µs: `timeout` since ffmpeg 5.0, `stimeout` before. On old builds
   * `-timeout` means *listen* timeout and turns the client into a server, so this must never be guessed.
   */
  rtspSocketTimeout: 'timeout' | 'stimeout';
  /** showinfo accepts `checksum=0` (skips two Adler-32 passes over every frame). */
  showinfoChecksumOption: boolean;
}

export interface FfmpegBinary {
  path: string;
  /** Where it was found: an explicit path, `FFMPEG_PATH`, the system PATH, or the npm package. */
  origin: 'explicit' | 'env' | 'system' | 'npm';
  /** First line of `ffmpeg -version`, e.g. `ffmpeg version 5.1.6-0+deb12u1`. */
  version: string;
  features: FfmpegFeatures;
}

/** A setup problem the user fixes (its message says how), so it prints without a stack. */
export class FfmpegNotFoundError extends PatrolError {
  override name = 'FfmpegNotFoundError';
}

export interface ResolveFfmpegOptions {
  /** Use exactly this binary (e.g. from the CLI); wins over everything else. */
  ffmpegPath?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Finds the ffmpeg to spawn: an explicit path, else `FFMPEG_PATH`, else `ffmpeg` on PATH (the distribution's
 * build is current and has every demuxer), else the binary inside `@ffmpeg-installer/<platform>-<arch>` (a
 * 2018 static build that installs offline from the npm registry). Probes its features once; callers that
 * start many cameras resolve once and pass the result on. Synchronous: it runs once at start-up.
 */
export function resolveFfmpeg(opts: ResolveFfmpegOptions = {}): FfmpegBinary {
  const env = opts.env ?? process.env;
  const candidates: Array<{ path: string; origin: FfmpegBinary['origin'] }> = [];
  if (opts.ffmpegPath) candidates.push({ path: opts.ffmpegPath, origin: 'explicit' });
  else if (env.FFMPEG_PATH) candidates.push({ path: env.FFMPEG_PATH, origin: 'env' });
  else {
    const onPath = findOnPath('ffmpeg', env.PATH ?? '');
    if (onPath) candidates.push({ path: onPath, origin: 'system' });
    const fromNpm = npmFfmpeg();
    if (fromNpm) candidates.push({ path: fromNpm, origin: 'npm' });
  }
  for (const c of candidates) {
    const version = runFfmpeg(c.path, ['-version']).split('\n')[0]?.trim();
    if (version?.startsWith('ffmpeg version')) return { ...c, version, features: probeFfmpegFeatures(c.path) };
    if (c.origin === 'explicit' || c.origin === 'env') {
      const what = c.origin === 'env' ? `FFMPEG_PATH (${c.path})` : `the ffmpeg path given (${c.path})`;
      throw new FfmpegNotFoundError(
        `${what} is not a working ffmpeg binary: running it with -version failed. Point it at an ffmpeg executable, ` +
          'or unset it to use the system ffmpeg (apt-get install ffmpeg) or the npm one (npm install @ffmpeg-installer/linux-x64).',
      );
    }
  }
  throw new FfmpegNotFoundError(
    'No ffmpeg found: Patrol decodes every camera with ffmpeg, and there is none on PATH and no @ffmpeg-installer ' +
      'package in node_modules. Install the system one (apt-get install ffmpeg, preferred: current and complete) or ' +
      `the npm fallback (npm install @ffmpeg-installer/${process.platform}-${process.arch}), or set FFMPEG_PATH to a binary.`,
  );
}

/** Reads the binary's own help (three short runs, ≈ 50 ms) instead of trusting its version string. */
export function probeFfmpegFeatures(path: string): FfmpegFeatures {
  const general = runFfmpeg(path, ['-hide_banner', '-h', 'long']);
  const rtsp = runFfmpeg(path, ['-hide_banner', '-h', 'demuxer=rtsp']);
  const showinfo = runFfmpeg(path, ['-hide_banner', '-h', 'filter=showinfo']);
  const socketTimeout = /^\s*-timeout\s.*socket/im.test(rtsp) || !/^\s*-stimeout\s/m.test(rtsp);
  return {
    fpsMode: /^-fps_mode\s/m.test(general),
    rtspSocketTimeout: socketTimeout ? 'timeout' : 'stimeout',
    showinfoChecksumOption: /^\s*checksum\s/m.test(showinfo),
  };
}

function runFfmpeg(path: string, args: string[]): string {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000, maxBuffer: 8 << 20, env: childEnv() });
  if (r.error || r.status !== 0) return '';
  return `${r.stdout}${r.stderr}`;
}

function findOnPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function npmFfmpeg(): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    const pkg = require.resolve(`@ffmpeg-installer/${process.platform}-${process.arch}/package.json`);
    const file = join(dirname(pkg), process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}
