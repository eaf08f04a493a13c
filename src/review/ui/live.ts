// Live view: a WebSocket to /api/cameras/:id/live (the session cookie authenticates it) carrying
// jsmpeg's stream (MPEG-1 video in MPEG-TS), drawn by the jsmpeg player that the server hands out at
// /vendor/jsmpeg.min.js from the @cycjimmy/jsmpeg-player package. It loads on first use, not with the
// page; should it fail to load, the connection is still shown with its byte count.

interface JsmpegPlayer {
  destroy(): void;
}
interface Jsmpeg {
  Player: new (url: string, opts: { canvas: HTMLCanvasElement; audio: boolean; onVideoDecode?: () => void }) => JsmpegPlayer;
}
declare global {
  interface Window {
    JSMpeg?: Jsmpeg;
  }
}

export type LiveStatus = 'connecting' | 'playing' | 'no-player' | 'closed' | 'failed';

let playerLoad: Promise<Jsmpeg | null> | null = null;

function loadPlayer(): Promise<Jsmpeg | null> {
  playerLoad ??= new Promise((resolve) => {
    if (window.JSMpeg) return resolve(window.JSMpeg);
    const s = document.createElement('script');
    s.src = '/vendor/jsmpeg.min.js';
    s.onload = () => resolve(window.JSMpeg ?? null);
    s.onerror = () => resolve(null);
    document.head.append(s);
  });
  return playerLoad;
}

export function liveUrl(cameraId: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/cameras/${encodeURIComponent(cameraId)}/live`;
}

/** Starts a live view into `canvas`; `onStatus` hears each change (with the byte count for 'no-player'). Returns stop(). */
export async function startLive(cameraId: string, canvas: HTMLCanvasElement, onStatus: (kind: LiveStatus, bytes?: number) => void): Promise<() => void> {
  onStatus('connecting');
  const JSMpeg = await loadPlayer();
  if (JSMpeg) {
    let playing = false;
    const player = new JSMpeg.Player(liveUrl(cameraId), {
      canvas,
      audio: false,
      // 'playing' once a picture has actually been decoded, not merely when the socket opened.
      onVideoDecode: () => {
        if (!playing) {
          playing = true;
          onStatus('playing');
        }
      },
    });
    return () => player.destroy();
  }
  const ws = new WebSocket(liveUrl(cameraId));
  ws.binaryType = 'arraybuffer';
  let bytes = 0;
  let stopped = false;
  ws.onmessage = (m: MessageEvent<ArrayBuffer>) => {
    bytes += m.data.byteLength;
    onStatus('no-player', bytes);
  };
  ws.onerror = () => onStatus('failed');
  ws.onclose = () => {
    if (!stopped) onStatus(bytes > 0 ? 'closed' : 'failed');
  };
  return () => {
    stopped = true;
    ws.close();
  };
}
