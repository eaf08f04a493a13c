/**
 * The container demo's config: config/default.yaml without the cameras whose fixture video the image could
 * not build (scenes that need real crops from ../shared, which a `docker build` does not have, e.g. fire),
 * so the demo starts with every camera it lists live instead of one failing "file not found".
 *
 *   tsx deploy/demo-config.ts config/default.yaml config/demo.yaml
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, parseDocument } from 'yaml';

/** The YAML text with file cameras whose video is missing removed (comments kept); and which went. */
export function demoConfig(text: string, configDir: string): { text: string; dropped: string[] } {
  const doc = parseDocument(text);
  const cameras = doc.get('cameras');
  if (!isSeq(cameras)) throw new Error('config has no cameras list');
  const dropped: string[] = [];
  cameras.items = cameras.items.filter((item) => {
    if (!isMap(item)) return true;
    const url = String(item.get('url') ?? '');
    if (!url.startsWith('file://')) return true;
    const keep = existsSync(resolve(configDir, decodeURIComponent(url.slice('file://'.length))));
    if (!keep) dropped.push(String(item.get('id')));
    return keep;
  });
  if (cameras.items.length === 0) throw new Error('no camera of the demo config has its video: run the fixture generator first');
  return { text: doc.toString(), dropped };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [from, to] = process.argv.slice(2);
  if (!from || !to) throw new Error('usage: tsx deploy/demo-config.ts <config in> <config out>');
  const out = demoConfig(readFileSync(from, 'utf8'), dirname(resolve(from)));
  writeFileSync(to, out.text);
  console.log(`${to}: ${out.dropped.length ? `without ${out.dropped.join(', ')} (no video in this image)` : 'every camera has its video'}`);
}
