import type { Frame } from '../contracts/frame.js';
import type { DecodedKeyframe, KeyframeDecoderPool } from '../decode/decoder-pool.js';

/**
 * A picture from the shared decoder pool as the camera's Frame: the pool's size and pixel format, stamped with
 * the wall clock of its access unit's arrival. (native-source.ts builds the same Frame inline; it can use this.)
 */
export function decodedFrame(cameraId: string, pool: Pick<KeyframeDecoderPool, 'width' | 'height' | 'pixelFormat'>, decoded: DecodedKeyframe, at: { receivedAt: number; streamMs: number }): Frame {
  return {
    cameraId,
    timestamp: at.receivedAt,
    ptsMs: at.streamMs,
    data: decoded.data,
    pixelFormat: pool.pixelFormat,
    width: pool.width,
    height: pool.height,
    contentWidth: decoded.contentWidth,
    contentHeight: decoded.contentHeight,
    sourceWidth: decoded.sourceWidth,
    sourceHeight: decoded.sourceHeight,
  };
}
