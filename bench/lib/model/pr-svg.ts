import { prCurve } from './ap.js';

export interface PrSeries {
  label: string;
  tp50: readonly boolean[];
  scores: readonly number[];
  nGt: number;
  /** Operating threshold: marked with a dot on the curve. */
  threshold?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Precision–recall curves (IoU 0.5), one line per class, as a standalone SVG. Pure. */
export function prCurvesSvg(title: string, series: readonly PrSeries[]): string {
  const W = 700;
  // Grow the picture with the legend (one line per class).
  const H = Math.max(440, 70 + series.length * 18);
  const m = { l: 56, r: 230, t: 36, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x = (r: number) => (m.l + r * pw).toFixed(1);
  const y = (p: number) => (m.t + (1 - p) * ph).toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - m.r / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    out.push(`<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#eee"/>`);
    out.push(`<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#eee"/>`);
    if (i % 2 === 0) {
      out.push(`<text x="${x(v)}" y="${m.t + ph + 16}" text-anchor="middle">${v.toFixed(1)}</text>`);
      out.push(`<text x="${m.l - 6}" y="${Number(y(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
    }
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">recall</text>`);
  out.push(`<text x="16" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.t + ph / 2})">precision</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const { precision, recall } = prCurve(s.tp50, s.nGt);
    // Thin the polyline: a point where recall changes is enough to draw the curve.
    const pts: string[] = [`${x(0)},${y(precision[0] ?? 1)}`];
    recall.forEach((r, k) => {
      if (k === 0 || r !== recall[k - 1] || k === recall.length - 1) pts.push(`${x(r)},${y(precision[k]!)}`);
    });
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    if (s.threshold !== undefined) {
      let k = -1;
      while (k + 1 < s.scores.length && s.scores[k + 1]! >= s.threshold) k++;
      if (k >= 0) out.push(`<circle cx="${x(recall[k]!)}" cy="${y(precision[k]!)}" r="4" fill="${color}"/>`);
    }
    const ly = m.t + 10 + i * 18;
    out.push(`<line x1="${W - m.r + 12}" y1="${ly}" x2="${W - m.r + 32}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${W - m.r + 38}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push(`<text x="${W - m.r + 12}" y="${m.t + 14 + series.length * 18}" fill="#555">● operating threshold</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
