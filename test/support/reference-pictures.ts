import { createHash } from 'node:crypto';
import { joinNalUnits } from '../../src/decode/annex-b.js';
import type { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import type { EncodedStream } from '../../support/encoded-stream.js';

export function pictureHash(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * Every picture of `stream` as `pool` makes it (decoded forward from its keyframe, letterboxed), hashed: a frame
 * a camera delivers must be one of them, bit for bit, or the client let a broken picture through.
 */
export async function referencePictures(pool: KeyframeDecoderPool, stream: EncodedStream): Promise<Set<string>> {
  const out = new Set<string>();
  let key = -1;
  for (let i = 0; i < stream.units.length; i++) {
    const u = stream.units[i]!;
    if (u.keyframe) key = i;
    if (key < 0) continue;
    const following = stream.units.slice(key + 1, i + 1).map((f) => joinNalUnits(f.nals));
    const picture = await pool.decodeForward(stream.codec, joinNalUnits(stream.units[key]!.nals), following);
    out.add(pictureHash(picture.data));
  }
  return out;
}
