// Live view: a WebSocket to /api/cameras/:id/live (the session cookie authenticates it) carrying
// jsmpeg's stream (MPEG-1 video in MPEG-TS). The picture needs the jsmpeg player, which is not bundled:
// when ui/vendor/jsmpeg.min.js exists it is used; otherwise the connection is shown with its byte count.

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
    const player = new JSMpeg.Player(liveUrl(cameraId), { canvas, audio: false, disableGl: false, onPlay: () => onStatus('playing') });
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
