import type { ViolationType } from '../../../src/contracts/violation.js';
import { escapeXml as esc } from '../shared/plot-svg.js';
import type { ClipScore } from './score.js';

export interface ClipTimelineInput {
  title: string;
  durationSec: number;
  violations: readonly ViolationType[];
  /** Per analyzed frame: file time and the best score of a class feeding each violation. */
  frames: readonly { timeSec: number; scores: Partial<Record<ViolationType, number>> }[];
  score: ClipScore;
}

const COLORS: Record<ViolationType, string> = { stall: '#1f77b4', dumping: '#8c564b', burning: '#d62728' };

/**
 * One clip of bench:real: per checked violation, the detector's best score per analyzed frame, the windows an event
 * was expected in, and the events raised (bar from first evidence to end, ◆ where it opened), green when they met an
 * expectation, red when false; a missed window is outlined red. Pure; returns an SVG document.
 */
export function clipTimelineSvg(inp: ClipTimelineInput): string {
  const left = 90;
  const width = 900;
  const plotW = width - left - 20;
  const rowH = 70;
  const top = 50;
  const span = Math.max(1, inp.durationSec);
  const x = (t: number) => left + (Math.max(0, Math.min(span, t)) / span) * plotW;
  const height = top + inp.violations.length * rowH + 40;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  o.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  o.push(`<text x="10" y="18" font-size="14" font-weight="bold">${esc(inp.title)}</text>`);
  o.push(`<text x="10" y="36" fill="#555">line: best detector score per analyzed frame · grey: expected window · bar: event (◆ opened) — green hit, red false · red outline: missed</text>`);
  inp.violations.forEach((v, row) => {
    const y0 = top + row * rowH;
    const plotH = rowH - 16;
    const y = (s: number) => y0 + plotH - s * plotH;
    o.push(`<text x="10" y="${y0 + plotH / 2 + 4}" fill="${COLORS[v]}" font-weight="bold">${v}</text>`);
    o.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#ddd"/>`);
    for (const x0 of inp.score.expects.filter((e) => e.expect.type === v)) {
      const stroke = x0.verdict === 'miss' ? ' stroke="#d00" stroke-width="2"' : '';
      o.push(`<rect x="${x(x0.expect.from)}" y="${y0}" width="${Math.max(1, x(x0.expect.to) - x(x0.expect.from))}" height="${plotH}" fill="#999" fill-opacity="0.2"${stroke}/>`);
    }
    const pts = inp.frames.filter((f) => f.scores[v] !== undefined).map((f) => `${x(f.timeSec).toFixed(1)},${y(f.scores[v]!).toFixed(1)}`);
    if (pts.length > 0) o.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[v]}" stroke-width="1.5"/>`);
    for (const f of inp.frames) o.push(`<rect x="${x(f.timeSec)}" y="${y0 + plotH}" width="1" height="3" fill="#999"/>`);
    for (const e of inp.score.events.filter((r) => r.event.type === v)) {
      const c = e.verdict === 'hit' ? '#2a2' : '#d00';
      const end = e.event.endSec ?? span;
      o.push(`<rect x="${x(e.event.startSec)}" y="${y0 + plotH - 10}" width="${Math.max(2, x(end) - x(e.event.startSec))}" height="6" fill="${c}" opacity="0.8"/>`);
      const cx = x(e.event.openSec);
      const cy = y0 + plotH - 7;
      o.push(`<path d="M ${cx} ${cy - 6} l 6 6 l -6 6 l -6 -6 z" fill="${c}"><title>${esc(`${v} opened at ${e.event.openSec.toFixed(1)} s, peak ${e.event.peakScore.toFixed(2)} (${e.verdict})`)}</title></path>`);
    }
    o.push(`<text x="${left - 4}" y="${y0 + 8}" text-anchor="end" fill="#777">1.0</text><text x="${left - 4}" y="${y0 + plotH}" text-anchor="end" fill="#777">0</text>`);
  });
  const axisY = top + inp.violations.length * rowH;
  const step = span > 120 ? 30 : span > 40 ? 10 : 5;
  for (let t = 0; t <= span + 1e-9; t += step) o.push(`<line x1="${x(t)}" y1="${axisY - 12}" x2="${x(t)}" y2="${axisY - 8}" stroke="#333"/><text x="${x(t)}" y="${axisY + 4}" text-anchor="middle">${t} s</text>`);
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
