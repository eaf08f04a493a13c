/** Why an RTSP session ended: each kind maps to one camera state and one reconnect policy upstream. */
export type RtspErrorKind =
  /** 401 with no credentials, or again after answering the challenge: wrong user or password. */
  | 'unauthorized'
  /** 404: no such stream path on the camera. */
  | 'not_found'
  /** 454: the server forgot the session (keep-alives lost, server restarted). */
  | 'session_not_found'
  /** The SDP offers no H.264 or H.265 video. */
  | 'unsupported_codec'
  /** SETUP for RTP over UDP refused (461) or answered with another transport (TCP interleaved, multicast). */
  | 'unsupported_transport'
  /** The peer does not speak RTSP as expected: garbage, an unexpected status, an unusable answer. */
  | 'protocol'
  /** No connection, no answer to a request, or no media for too long. */
  | 'timeout'
  /** The connection was refused, reset or closed by the peer. */
  | 'closed';

export class RtspError extends Error {
  constructor(
    readonly kind: RtspErrorKind,
    message: string,
    /** The RTSP status code, when a response caused it. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RtspError';
  }
}
