import type { TransportChoice } from '../contracts/camera-status.js';
import type { CameraConfig } from './schema.js';

/** The camera fields that decide its transport (a full CameraConfig fits). */
export type TransportInput = Pick<CameraConfig, 'url' | 'decode'> & Partial<Pick<CameraConfig, 'transport' | 'tour' | 'rtspTransport'>>;

/**
 * Which transport a camera gets. `cameras[].transport` set in the config is honoured as it is (a native camera
 * the client cannot serve is a config error, see semantics.ts). Left out, the in-process client takes every
 * camera it can serve — plain rtsp:// decoded at keyframes — because it costs a fraction of an ffmpeg per
 * camera; the rest (files, rtsps://, decode: interval) get ffmpeg, which reads anything.
 */
export function resolveTransport(camera: TransportInput): TransportChoice {
  const rtp = rtpOf(camera);
  if (camera.transport) return { kind: camera.transport, why: `transport: ${camera.transport} in the config`, explicit: true, ...rtp };
  const native = nativeUnsupported(camera);
  if (native) return { kind: 'ffmpeg', why: `default for ${native}`, explicit: false, ...rtp };
  return { kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, ...rtp };
}

/**
 * How RTP travels, for an RTSP camera: `rtspTransport` (tcp when left out), whichever transport receives it —
 * both the in-process client and ffmpeg honour it. Nothing for a file or http input, which has no RTP.
 */
export function rtpOf(camera: Pick<TransportInput, 'url' | 'rtspTransport'>): Pick<TransportChoice, 'rtp'> {
  return /^rtsps?:/i.test(camera.url) ? { rtp: camera.rtspTransport ?? 'tcp' } : {};
}

/**
 * Why the in-process client cannot serve this camera, in words that follow "default for "; undefined when it
 * can. Codecs are learnt only on connect: the pipeline moves a default camera whose SDP offers neither H.264
 * nor H.265 over to ffmpeg then.
 */
function nativeUnsupported(camera: Pick<CameraConfig, 'url' | 'decode'>): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(camera.url)?.[1]?.toLowerCase();
  if (scheme === 'file') return 'a file:// input: the in-process client speaks rtsp:// only';
  if (scheme === 'rtsps') return 'rtsps://: the in-process client speaks no TLS';
  if (scheme !== 'rtsp') return `a ${scheme ?? 'schemeless'} url: the in-process client speaks rtsp:// only`;
  if (camera.decode === 'interval') return 'decode: interval: the in-process client decodes keyframes only';
  return undefined;
}
