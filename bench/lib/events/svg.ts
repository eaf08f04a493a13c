import type { ViolationType } from '../../../src/contracts/violation.js';
import type { ObservedHits } from './diagnose.js';
import type { EventsScore, SceneTruth } from './score.js';
import { eventEndSec } from './score.js';

/**
 * Per-scene timeline: ground-truth incidents (with the moment the dwell is met), the frames the detector
 * found the violation in the zone, and the events the pipeline raised. Pure; returns an SVG document.
 */

const COLORS: Record<ViolationType, string> = { stall: '#1f77b4', dumping: '#8c564b', burning: '#d62728' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface TimelineInput {
  title: string;
  scenes: readonly SceneTruth[];
  score: EventsScore;
  frames: readonly ObservedHits[];
  dwellSec: Record<ViolationType, number>;
}

export function timelineSvg(inp: TimelineInput): string {
  const left = 190;
  const right = 20;
  const width = 1000;
  const top = 84;
  const rowH = 50;
  const plotW = width - left - right;
  const maxT = Math.max(10, ...inp.scenes.map((s) => s.durationSec), ...inp.score.events.map((r) => eventEndSec(r.event)));
  const span = Math.ceil(maxT / 10) * 10;
  const x = (t: number) => left + (Math.max(0, Math.min(span, t)) / span) * plotW;
  const height = top + inp.scenes.length * rowH + 40;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  o.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  o.push(`<text x="10" y="18" font-size="14" font-weight="bold">${esc(inp.title)}</text>`);
  // Legend (wraps to a second row when needed).
  let lx = 10;
  let ly = 0;
  const legend = (draw: string, label: string) => {
    const w = 40 + label.length * 7;
    if (lx + w > width - 10) {
      lx = 10;
      ly += 16;
    }
    o.push(`<g transform="translate(0 ${ly})">${draw.replace(/LX/g, String(lx))}<text x="${lx + 22}" y="42">${esc(label)}</text></g>`);
    lx += w;
  };
  for (const t of ['stall', 'dumping', 'burning'] as const) legend(`<rect x="LX" y="33" width="18" height="10" fill="${COLORS[t]}"/>`, t);
  legend(`<rect x="LX" y="33" width="18" height="10" fill="#999" opacity="0.3"/>`, 'truth incident');
  legend(`<line x1="LX" y1="31" x2="LX" y2="45" stroke="#000" stroke-dasharray="2,2"/>`, 'dwell met');
  legend(`<rect x="LX" y="34" width="3" height="8" fill="#555"/>`, 'in-zone detection');
  legend(`<rect x="LX" y="37" width="1" height="2" fill="#999"/>`, 'frame analyzed');
  legend(`<path d="M LX 38 l 5 -5 l 5 5 l -5 5 z" fill="#000"/>`, 'event, ◆ confirmed');
  legend(`<rect x="LX" y="33" width="18" height="10" fill="#fff" stroke="#f00" stroke-width="2"/>`, 'duplicate or false event');

  // Axis.
  const axisY = top + inp.scenes.length * rowH + 6;
  o.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#333"/>`);
  for (let t = 0; t <= span; t += 10) {
    o.push(`<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${axisY}" stroke="#eee"/>`);
    o.push(`<text x="${x(t)}" y="${axisY + 14}" text-anchor="middle">${t}</text>`);
  }
  o.push(`<text x="${left + plotW / 2}" y="${axisY + 30}" text-anchor="middle">video time (s)</text>`);

  inp.scenes.forEach((s, i) => {
    const y = top + i * rowH;
    if (i % 2 === 1) o.push(`<rect x="0" y="${y - 4}" width="${width}" height="${rowH}" fill="#f7f7f7"/>`);
    o.push(`<text x="10" y="${y + 14}" font-weight="bold">${esc(s.name)}</text>`);
    o.push(`<text x="10" y="${y + 28}" fill="${s.mustNotAlert ? '#b00' : '#555'}">${s.mustNotAlert ? 'must NOT alert' : s.intervals.map((iv) => iv.type).join(', ')}</text>`);
    // Duration of the file.
    o.push(`<rect x="${x(0)}" y="${y}" width="${x(s.durationSec) - x(0)}" height="36" fill="none" stroke="#ccc"/>`);
    for (const iv of s.intervals) {
      o.push(`<rect x="${x(iv.startSec)}" y="${y + 2}" width="${Math.max(1, x(iv.endSec) - x(iv.startSec))}" height="10" fill="${COLORS[iv.type]}" opacity="0.3"><title>${esc(`${iv.type} ${iv.zoneId ?? ''} ${iv.startSec}–${iv.endSec} s`)}</title></rect>`);
      const dwell = iv.startSec + inp.dwellSec[iv.type];
      if (dwell <= iv.endSec) o.push(`<line x1="${x(dwell)}" y1="${y}" x2="${x(dwell)}" y2="${y + 36}" stroke="#000" stroke-dasharray="2,2"/>`);
    }
    // Analyzed frames (grey) and in-zone detections (type colour).
    for (const f of inp.frames) {
      if (f.cameraId !== s.name) continue;
      o.push(`<rect x="${x(f.videoSec) - 0.5}" y="${y + 19}" width="1" height="2" fill="#bbb"/>`);
      let k = 0;
      for (const t of ['stall', 'dumping', 'burning'] as const) {
        const h = f.zoneHits[t];
        if (!h) continue;
        o.push(`<rect x="${x(f.videoSec) - 1}" y="${y + 14 + k * 3}" width="2" height="4" fill="${COLORS[t]}"><title>${esc(`${f.videoSec} s: ${h.labels.join(', ')} ${h.best.toFixed(2)}`)}</title></rect>`);
        k++;
      }
    }
    // Events.
    for (const r of inp.score.events) {
      const e = r.event;
      if (e.cameraId !== s.name) continue;
      const bad = r.role !== 'first';
      const x0 = x(e.startSec);
      const x1 = Math.max(x0 + 2, x(eventEndSec(e)));
      o.push(
        `<rect x="${x0}" y="${y + 25}" width="${x1 - x0}" height="9" fill="${COLORS[e.type]}" ${bad ? 'stroke="#f00" stroke-width="2"' : ''}><title>${esc(`${e.id} ${r.role}: start ${e.startSec} s, confirmed ${e.confirmedSec} s, last seen ${e.lastSeenSec} s${e.endedSec !== null ? `, ended ${e.endedSec} s` : ''}`)}</title></rect>`,
      );
      const cx = x(e.confirmedSec);
      o.push(`<path d="M ${cx - 5} ${y + 29.5} l 5 -5 l 5 5 l -5 5 z" fill="${bad ? '#f00' : '#000'}"/>`);
    }
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}
