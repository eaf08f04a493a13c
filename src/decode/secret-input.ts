import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * Camera URLs carry passwords and tokens, and a process's argument list is readable by every user on the
 * machine (`ps`, `/proc/PID/cmdline`). ffmpeg 5.1 has no option that reads a URL from a file (`-/opt` came
 * in 7.0), so a network input is handed over as a one-entry ffconcat script on an inherited pipe: the
 * command line says `-f concat -i pipe:3`, the script (`file 'rtsp://user:pass@…'` plus the input's own
 * options) goes through fd 3 and is gone once read. The concat demuxer passes packets and time bases through
 * unchanged and ends when its one input ends, so the stream behaves as if opened directly. Measured against
 * the GStreamer RTSP server with basic auth (2 s GOP): first keyframe out after a median 2.006 s against
 * 1.998 s direct, the same 401 on a wrong password, the socket timeout still ending a stalled server; ffmpeg
 * CPU about +0.5–0.8 ms per camera-second (4 streams each way, 40 s, on a loaded 2-core machine: the concat
 * demuxer's pass over every packet).
 */

/** The fd the child reads the script from. */
export const INPUT_SCRIPT_FD = 3;

/** Protocols the inner input may use; the concat demuxer would otherwise refuse anything but the pipe's. */
const PROTOCOLS = 'pipe,rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https,httpproxy,crypto,data';

export interface ScriptInput {
  /** The secret-bearing URL. */
  url: string;
  /** Demuxer/protocol options of the input itself (`rtsp_transport`, `timeout`, `analyzeduration` …). */
  options: Record<string, string>;
  /**
   * The binary understands ffconcat's per-file `option` directive (ffmpeg ≥ 5.0; see concatOptionsSupported).
   * Without it the options are dropped except the RTSP transport, which the rtsp demuxer also takes as `?tcp`
   * or `?udp` in the URL; the socket timeout is then left to the caller's watchdog.
   */
  concatOptions: boolean;
}

/** `-f concat … -i pipe:3`: the input half of an ffmpeg command line, free of the URL. */
export function scriptInputArgs(): string[] {
  return ['-f', 'concat', '-safe', '0', '-protocol_whitelist', PROTOCOLS, '-i', `pipe:${INPUT_SCRIPT_FD}`];
}

/** The ffconcat text for one URL. Quotes: ffconcat tokens are av_get_token strings, so `'` is written `'\''`. */
export function inputScript(i: ScriptInput): string {
  for (const [k, v] of Object.entries(i.options)) {
    if (!/^[a-z_0-9]+$/.test(k) || /[\r\n]/.test(v)) throw new RangeError(`input option ${JSON.stringify(k)}=${JSON.stringify(v)} cannot go into an ffconcat script`);
  }
  if (/[\r\n]/.test(i.url)) throw new RangeError('camera url contains a line break');
  let url = i.url;
  const transport = i.options.rtsp_transport;
  if (!i.concatOptions && (transport === 'tcp' || transport === 'udp') && /^rtsps?:/i.test(url)) url += `${url.includes('?') ? '&' : '?'}${transport}`;
  const lines = ['ffconcat version 1.0', `file ${quote(url)}`];
  if (i.concatOptions) for (const [k, v] of Object.entries(i.options)) lines.push(`option ${k} ${quote(v)}`);
  return `${lines.join('\n')}\n`;
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A child's environment without the parent's secrets: `${NAME}` credentials in the config come from the
 * environment, and ffmpeg needs none of it. Locale and time zone stay (ffmpeg prints and stamps with them).
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && /^(PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|HOME)$/.test(k)) out[k] = v;
  return out;
}

export type FfmpegChild = ChildProcessByStdio<null, Readable, Readable>;

/**
 * Spawns ffmpeg with stdout and stderr piped, the scrubbed environment, and — when `script` is given — the
 * script written to fd 3 and closed (ffmpeg reads it to the end while opening its input).
 */
export function spawnFfmpeg(path: string, args: string[], script?: string): FfmpegChild {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe', script === undefined ? 'ignore' : 'pipe'], env: childEnv() });
  const fd = child.stdio[INPUT_SCRIPT_FD] as NodeJS.WritableStream | null;
  if (script !== undefined && fd) {
    // ffmpeg that dies before reading makes the write fail with EPIPE; its exit is reported elsewhere.
    (fd as unknown as { on(e: 'error', l: () => void): void }).on('error', () => undefined);
    fd.end(script);
  }
  return child as unknown as FfmpegChild;
}

const probed = new Map<string, boolean>();

/**
 * Whether this ffmpeg takes ffconcat's `option` lines: one short run on a script whose only file is a name
 * that does not exist — an old build stops at the keyword, a current one at the missing file. Cached per path.
 */
export function concatOptionsSupported(ffmpegPath: string): boolean {
  const known = probed.get(ffmpegPath);
  if (known !== undefined) return known;
  const script = "ffconcat version 1.0\nfile 'patrol-probe-nonexistent.ts'\noption probesize 32\n";
  const r = spawnSync(ffmpegPath, ['-hide_banner', '-nostdin', '-f', 'concat', '-safe', '0', '-i', 'pipe:0', '-f', 'null', '-'], {
    input: script,
    encoding: 'utf8',
    timeout: 10_000,
    env: childEnv(),
  });
  const ok = !/unknown keyword/i.test(`${r.stderr ?? ''}`);
  probed.set(ffmpegPath, ok);
  return ok;
}
