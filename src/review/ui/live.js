// Live view: a WebSocket to /api/cameras/:id/live (the session cookie authenticates it) carrying
// jsmpeg's stream (MPEG-1 video in MPEG-TS), drawn by the jsmpeg player that the server hands out at
// /vendor/jsmpeg.min.js (from the @cycjimmy/jsmpeg-player package). Should it fail to load, the
// connection is still shown with its byte count.

let playerLoad = null;

function loadPlayer() {
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

export function liveUrl(cameraId) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/cameras/${encodeURIComponent(cameraId)}/live`;
}

/**
 * Starts a live view into `canvas`; `onStatus(kind, detail)` reports 'connecting' | 'playing' |
 * 'no-player' (bytes) | 'closed' | 'failed'. Returns stop().
 */
export async function startLive(cameraId, canvas, onStatus) {
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
  ws.onmessage = (m) => {
    bytes += m.data.byteLength ?? 0;
    onStatus('no-player', bytes);
  };
  ws.onerror = () => onStatus('failed');
  ws.onclose = () => !stopped && onStatus(bytes > 0 ? 'closed' : 'failed');
  return () => {
    stopped = true;
    ws.close();
  };
}
