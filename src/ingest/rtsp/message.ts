/**
 * The byte stream of one RTSP connection, cut into what it carries: responses, requests from the server, and
 * `$`-framed interleaved RTP/RTCP (RFC 2326 §10.12). Incremental (any chunking gives the same messages),
 * bounded (a header block or body over its cap is dropped, never buffered), and total: garbage is skipped
 * to the next plausible message start and counted, never thrown.
 */

export interface RtspHeaders {
  /** Lower-cased name → every value it was sent with, in order (WWW-Authenticate may come several times). */
  readonly all: ReadonlyMap<string, readonly string[]>;
  /** The first value of a header, by any case of its name. */
  get(name: string): string | undefined;
}

export interface RtspResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Buffer;
}

export interface RtspRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: RtspHeaders;
  body: Buffer;
}

export interface InterleavedFrame {
  kind: 'interleaved';
  channel: number;
  /** A view into the received chunk: copy it to keep it past the current callback. */
  payload: Buffer;
}

export type RtspMessage = RtspResponse | RtspRequest | InterleavedFrame;

export interface MessageParserLimits {
  /** Start line plus headers. */
  maxHeaderBytes: number;
  /** Content-Length cap (an SDP is a few kB). */
  maxBodyBytes: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageParserLimits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 256 * 1024 };

export interface MessageParserStats {
  /** Bytes skipped because no message could start there. */
  garbageBytes: number;
  /** Text messages dropped: header block or body over the cap, or a start line that does not parse. */
  droppedMessages: number;
}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const RTSP_PREFIX = Buffer.from('RTSP/');
const MAX_START_LINE = 512;
const RESPONSE_LINE = /^RTSP\/(\d)\.(\d) (\d{3})(?: (.*))?$/;
const REQUEST_LINE = /^([A-Z][A-Z_]{1,31}) (\S+) RTSP\/\d\.\d$/;

class Headers implements RtspHeaders {
  constructor(readonly all: Map<string, string[]>) {}
  get(name: string): string | undefined {
    return this.all.get(name.toLowerCase())?.[0];
  }
}

export class RtspMessageParser {
  readonly stats: MessageParserStats = { garbageBytes: 0, droppedMessages: 0 };
  private readonly limits: MessageParserLimits;
  /** Unconsumed bytes of earlier chunks: at most one message's worth (the caps bound it). */
  private pending: Buffer = Buffer.alloc(0);

  constructor(limits: Partial<MessageParserLimits> = {}) {
    this.limits = { ...DEFAULT_MESSAGE_LIMITS, ...limits };
  }

  /** Bytes held back waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /**
   * Feeds one chunk; returns the messages it completes. Interleaved payloads are views into `chunk` (or the
   * parser's own copy when a frame straddles chunks), valid until the next push.
   */
  push(chunk: Buffer): RtspMessage[] {
    // The hot path (a chunk of whole frames with nothing pending) parses in place without copying.
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: RtspMessage[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const b = buf[pos]!;
      if (b === DOLLAR) {
        if (buf.length - pos < 4) break;
        const len = buf.readUInt16BE(pos + 2);
        const end = pos + 4 + len;
        if (buf.length < end) break;
        // Frames and messages follow each other back to back: a `$` whose frame is not followed by another start
        // (or a stray line end) is a payload byte met while resynchronizing, or a lying length. Skipping just it rescans what that
        // length would have swallowed, real packets included.
        if (end < buf.length && !startsMessage(buf[end]!)) {
          const next = nextStart(buf, pos + 1);
          this.stats.garbageBytes += next - pos;
          pos = next;
          continue;
        }
        out.push({ kind: 'interleaved', channel: buf[pos + 1]!, payload: buf.subarray(pos + 4, pos + 4 + len) });
        pos = end;
        continue;
      }
      if (isTokenStart(b)) {
        const r = this.text(buf, pos, out);
        if (r === 'need_more') break;
        pos = r;
        continue;
      }
      // Garbage: skip to the next byte that could start a message.
      const next = nextStart(buf, pos + 1);
      this.stats.garbageBytes += next - pos;
      pos = next;
    }
    // Copy the tail: it must not pin the (possibly large) chunk it is a view of.
    this.pending = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return out;
  }

  /** A response or request starting at `pos`: the index after it, or 'need_more'. */
  private text(buf: Buffer, pos: number, out: RtspMessage[]): number | 'need_more' {
    const avail = buf.length - pos;
    // Reject early what cannot be a start line, so one stray letter does not hold the stream up.
    const window = buf.subarray(pos, pos + MAX_START_LINE + 1);
    const lineLen = window.indexOf(LF);
    if (lineLen < 0) {
      if (avail > MAX_START_LINE || !(isPrefixOf(buf, pos, RTSP_PREFIX) || looksLikeMethod(buf, pos, avail))) return this.skip(buf, pos);
      return 'need_more';
    }
    const line = buf.toString('latin1', pos, pos + lineLen).replace(/\r$/, '');
    if (!RESPONSE_LINE.test(line) && !REQUEST_LINE.test(line)) return this.skip(buf, pos);
    const end = headerEnd(buf, pos, this.limits.maxHeaderBytes);
    if (end === 'too_long') return this.drop(buf, pos);
    if (end === undefined) return 'need_more';
    const lines = buf.toString('latin1', pos, end.headersEnd).split(/\r?\n/);
    const start = lines.shift() ?? '';
    const headers = new Map<string, string[]>();
    for (const l of lines) {
      const colon = l.indexOf(':');
      if (colon <= 0) continue;
      const name = l.slice(0, colon).trim().toLowerCase();
      const value = l.slice(colon + 1).trim();
      const list = headers.get(name);
      if (list) list.push(value);
      else headers.set(name, [value]);
    }
    const lengthText = headers.get('content-length')?.[0];
    const length = lengthText === undefined ? 0 : Number(lengthText);
    if (!Number.isInteger(length) || length < 0 || length > this.limits.maxBodyBytes) return this.drop(buf, pos);
    if (buf.length - end.bodyStart < length) return 'need_more';
    const body = Buffer.from(buf.subarray(end.bodyStart, end.bodyStart + length));
    const h = new Headers(headers);
    const res = RESPONSE_LINE.exec(start);
    if (res) out.push({ kind: 'response', status: Number(res[3]), reason: res[4] ?? '', headers: h, body });
    else {
      const req = REQUEST_LINE.exec(start)!;
      out.push({ kind: 'request', method: req[1]!, uri: req[2]!, headers: h, body });
    }
    return end.bodyStart + length;
  }

  private skip(buf: Buffer, pos: number): number {
    const next = nextStart(buf, pos + 1);
    this.stats.garbageBytes += next - pos;
    return next;
  }

  private drop(buf: Buffer, pos: number): number {
    this.stats.droppedMessages++;
    return this.skip(buf, pos);
  }
}

/** What may follow a frame: another frame, a message, or the stray line end some servers put between them. */
function startsMessage(b: number): boolean {
  return b === DOLLAR || isTokenStart(b) || b === CR || b === LF;
}

function isTokenStart(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}

/** The next index that could start a message: `$`, an upper-case letter at a line start, or "RTSP/" anywhere. */
function nextStart(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === DOLLAR) return i;
    if (isTokenStart(b) && (buf[i - 1] === LF || (b === 0x52 && isPrefixOf(buf, i, RTSP_PREFIX)))) return i;
  }
  return buf.length;
}

function isPrefixOf(buf: Buffer, pos: number, prefix: Buffer): boolean {
  const n = Math.min(prefix.length, buf.length - pos);
  for (let i = 0; i < n; i++) if (buf[pos + i] !== prefix[i]) return false;
  return true;
}

/** Upper-case letters or '_' up to a space (or the end of what has arrived): a method name so far. */
function looksLikeMethod(buf: Buffer, pos: number, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const b = buf[pos + i]!;
    if (b === 0x20) return i > 0;
    if (!(isTokenStart(b) || b === 0x5f)) return false;
  }
  return true;
}

/** Where the header block ends (CRLFCRLF, or bare LFLF from sloppy servers), within the cap. */
function headerEnd(buf: Buffer, pos: number, max: number): { headersEnd: number; bodyStart: number } | 'too_long' | undefined {
  const limit = Math.min(buf.length, pos + max);
  for (let i = pos; i < limit; i++) {
    if (buf[i] !== LF) continue;
    if (buf[i + 1] === LF) return { headersEnd: i, bodyStart: i + 2 };
    if (buf[i + 1] === CR && buf[i + 2] === LF) return { headersEnd: i > pos && buf[i - 1] === CR ? i - 1 : i, bodyStart: i + 3 };
  }
  return buf.length - pos >= max ? 'too_long' : undefined;
}
