/** Small self-contained SVG charts for bench reports (no dependencies). Pure. */

const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';
const COLORS = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A "nice" axis maximum at or above v: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Axis tick label: as many decimals as the tick step needs. */
export function tickLabel(v: number, step: number): string {
  let decimals = 0;
  while (decimals < 4 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-9) decimals++;
  return v.toFixed(decimals);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export interface Bar {
  label: string;
  value: number;
  /** Drawn in a second colour (e.g. a total, or a row not part of the sum). */
  highlight?: boolean;
  /** Text after the value. */
  note?: string;
}

export interface BarChartOptions {
  title: string;
  unit: string;
  bars: readonly Bar[];
  /** A vertical dashed line (e.g. the per-stream budget). */
  threshold?: { value: number; label: string };
  width?: number;
}

/** Horizontal bar chart, one row per bar. */
export function barChartSvg(o: BarChartOptions): string {
  const width = o.width ?? 860;
  const labelW = 330;
  const right = 170;
  const rowH = 26;
  const top = 58;
  const plotW = width - labelW - right;
  const height = top + o.bars.length * rowH + 40;
  const max = niceMax(Math.max(...o.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), o.threshold?.value ?? 0));
  const x = (v: number) => labelW + (Math.max(0, v) / max) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const v = (max * k) / 5;
    const gx = x(v);
    out.push(`<line x1="${gx.toFixed(1)}" y1="${top - 4}" x2="${gx.toFixed(1)}" y2="${top + o.bars.length * rowH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${gx.toFixed(1)}" y="${top + o.bars.length * rowH + 16}" text-anchor="middle" fill="#555">${tickLabel(v, max / 5)}</text>`);
  }
  out.push(`<text x="${labelW + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">${escapeXml(o.unit)}</text>`);
  o.bars.forEach((b, k) => {
    const y = top + k * rowH;
    const w = Number.isFinite(b.value) ? x(b.value) - labelW : 0;
    out.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${escapeXml(b.label)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(0, w).toFixed(1)}" height="${rowH - 8}" fill="${b.highlight ? COLORS[1] : COLORS[0]}"/>`);
    const text = `${Number.isFinite(b.value) ? fmt(b.value) : 'not measured'}${b.note ? ` ${b.note}` : ''}`;
    out.push(`<text x="${(labelW + Math.max(0, w) + 6).toFixed(1)}" y="${y + rowH / 2 + 4}" fill="#222">${escapeXml(text)}</text>`);
  });
  if (o.threshold) {
    const tx = x(o.threshold.value);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${top - 8}" x2="${tx.toFixed(1)}" y2="${top + o.bars.length * rowH}" stroke="${COLORS[3]}" stroke-width="2" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${top - 10}" text-anchor="middle" fill="${COLORS[3]}">${escapeXml(o.threshold.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** A horizontal dashed line (e.g. the 1% miss limit). */
  threshold?: { value: number; label: string };
  width?: number;
  height?: number;
}

/** Line chart with markers; x and y axes start at 0. */
export function lineChartSvg(o: LineChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 420;
  const m = { left: 70, right: 24, top: 44, bottom: 56 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const xMax = niceMax(Math.max(1, ...all.map(([a]) => a)));
  const yMax = niceMax(Math.max(...all.map(([, b]) => b), o.threshold ? o.threshold.value * 1.25 : 0, 1e-9));
  const X = (v: number) => m.left + (v / xMax) * pw;
  const Y = (v: number) => m.top + ph - (Math.min(v, yMax) / yMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const yv = (yMax * k) / 5;
    const xv = (xMax * k) / 5;
    out.push(`<line x1="${m.left}" y1="${Y(yv).toFixed(1)}" x2="${m.left + pw}" y2="${Y(yv).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${(Y(yv) + 4).toFixed(1)}" text-anchor="end" fill="#555">${tickLabel(yv, yMax / 5)}</text>`);
    out.push(`<text x="${X(xv).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle" fill="#555">${tickLabel(xv, xMax / 5)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  if (o.threshold) {
    const ty = Y(o.threshold.value).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${ty}" x2="${m.left + pw}" y2="${ty}" stroke="${COLORS[3]}" stroke-width="2" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${m.left + pw - 4}" y="${Number(ty) - 6}" text-anchor="end" fill="${COLORS[3]}">${escapeXml(o.threshold.label)}</text>`);
  }
  o.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${X(a).toFixed(1)},${Y(b).toFixed(1)}`).join(' ')}"/>`);
    for (const [a, b] of pts) {
      out.push(`<circle cx="${X(a).toFixed(1)}" cy="${Y(b).toFixed(1)}" r="4" fill="${color}"><title>${escapeXml(`${s.name}: ${fmt(a)} → ${fmt(b)}`)}</title></circle>`);
    }
    out.push(`<rect x="${m.left + 10}" y="${m.top + 8 + k * 18}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${m.left + 28}" y="${m.top + 18 + k * 18}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
