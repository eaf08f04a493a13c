import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClipSpan, ClipSpanSource } from '../../src/contracts/clip-span.js';
import type { PatrolEvent } from '../../src/contracts/event.js';
import { ClipRecorder } from '../../src/evidence/clip-recorder.js';
import { withoutLeadingRasl } from '../../src/evidence/span-clip.js';
import type { Log } from '../../src/log/log.js';

/** An H.265 access unit of one VCL NAL of this type. */
const nal = (type: number): Buffer => Buffer.from([0, 0, 0, 1, type << 1, 0x01, 0xaf]);
const unit = (type: number, i: number) => ({ data: nal(type), keyframe: type >= 16 && type <= 21, ptsMs: i * 40, receivedAt: i * 40 });

describe('withoutLeadingRasl', () => {
  it('drops the RASL pictures right after the first CRA, keeps later ones and every H.264 unit', () => {
    // CRA, RASL_N, RASL_R, TRAIL_R, …, CRA, RASL_N
    const units = [unit(21, 0), unit(8, 1), unit(9, 2), unit(1, 3), unit(21, 4), unit(8, 5)];
    expect(withoutLeadingRasl({ codec: 'h265', units }).map((u) => u.ptsMs / 40)).toEqual([0, 3, 4, 5]);
    expect(withoutLeadingRasl({ codec: 'h264', units })).toHaveLength(6);
  });
});

describe('ClipRecorder with a native camera\'s spans', () => {
  const storage = mkdtempSync(join(tmpdir(), 'patrol-span-rec-'));
  afterAll(() => rmSync(storage, { recursive: true, force: true }));
  const lines: Array<{ level: string; msg?: string }> = [];
  const at = (level: string) => (_o: object, msg?: string) => void lines.push({ level, msg });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const event: PatrolEvent = { id: 'ev', cameraId: 'cam', zoneId: 'z', type: 'dumping', startedAt: 0, confirmedAt: 0, lastSeenAt: 0, endedAt: null, peakScore: 1, bestBoxes: [], model: 't', evidence: { sha256: {} } };

  it('a stream that stalls without dropping the connection: the wait ends at the settle deadline; nothing held → undefined, one warning', async () => {
    let hurried = false;
    const spans: ClipSpanSource = {
      span: (_from, _to, hurry) =>
        new Promise<ClipSpan | undefined>((r) => {
          void hurry?.then(() => {
            hurried = true;
            r(undefined);
          });
        }),
    };
    const now = Date.now();
    const rec = new ClipRecorder({ storageDir: storage, cameraId: 'cam', ffmpeg: 'ffmpeg', logger: log, spans, preRollSec: 1, postRollSec: 0.1, settleMs: 200 });
    expect(rec.ringDir).toBeUndefined();
    const clip = await rec.request({ ...event, startedAt: now, confirmedAt: now });
    expect(hurried).toBe(true);
    expect(clip).toBeUndefined();
    expect(lines.filter((l) => l.level === 'warn' && /no clip for this event/.test(l.msg ?? ''))).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(0);
  });
});
