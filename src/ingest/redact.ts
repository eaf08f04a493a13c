/**
 * Removes credentials from URLs inside any text (a URL, an ffmpeg error line, a log message), so camera
 * passwords never reach logs, statuses or the review UI. `rtsp://user:pass@host/x` → `rtsp://***@host/x`;
 * secret-looking query parameters (`password=`, `token=`, ...) keep their name and lose their value.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi; // greedy: a raw "@" in a password stays hidden
const SECRET_PARAM = /([?&;](?:password|passwd|pwd|pass|token|auth|key|secret|signature)=)[^&#\s]*/gi;

export function redactUrl(text: string): string {
  return text.replace(USERINFO, '$1***@').replace(SECRET_PARAM, '$1***');
}
