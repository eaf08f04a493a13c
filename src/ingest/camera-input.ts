import { isAbsolute, resolve } from 'node:path';

export type CameraInput = { kind: 'rtsp'; url: string } | { kind: 'file'; path: string };

/**
 * Turns a camera URL into what ffmpeg opens. `file://` paths are taken literally, not as URLs:
 * `file://fixtures/a.ts` is relative to `baseDir` (the config file's folder), `file:///srv/a.ts` is
 * absolute; percent-escapes are decoded. rtsp:// and rtsps:// go to ffmpeg unchanged.
 */
export function cameraInput(url: string, baseDir: string): CameraInput {
  if (/^rtsps?:\/\//i.test(url)) return { kind: 'rtsp', url };
  const m = /^file:\/\/(.*)$/i.exec(url);
  if (!m) throw new Error(`unsupported camera URL scheme: expected rtsp://, rtsps:// or file://`);
  let path = m[1] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // a literal % in a file name: keep it as written
  }
  if (!path) throw new Error('empty file:// path');
  return { kind: 'file', path: isAbsolute(path) ? path : resolve(baseDir, path) };
}
