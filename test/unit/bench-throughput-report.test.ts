import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml, lineChartSvg, niceMax, tickLabel } from '../../bench/lib/shared/plot-svg.js';
import { formatProgress, formatSec } from '../../bench/lib/throughput/stage-progress.js';

describe('bench: progress line', () => {
  it('shows stage, percent and elapsed times', () => {
    const line = formatProgress({ index: 3, total: 9, stage: 'inference', fraction: 0.42, stageSec: 12.4, runSec: 65, detail: 'batch 8' });
    expect(line).toBe('[3/9] inference [########............]  42% 12s (run 1m05s)  batch 8');
    expect(formatSec(0)).toBe('0s');
    expect(formatSec(600)).toBe('10m00s');
  });
});

describe('bench: SVG charts', () => {
  it('nice axis maxima', () => {
    expect(niceMax(7.3)).toBe(10);
    expect(niceMax(1.7)).toBe(2);
    expect(niceMax(23)).toBe(25);
    expect(niceMax(0)).toBe(1);
    expect(niceMax(NaN)).toBe(1);
    expect(tickLabel(20, 20)).toBe('20');
    expect(tickLabel(0.5, 0.5)).toBe('0.5');
    expect(tickLabel(2.5, 0.25)).toBe('2.50');
  });

  it('bar chart: one bar per stage, escaped labels, threshold line, unmeasured bars marked', () => {
    const svg = barChartSvg({ title: 'CPU <per> stage', unit: 'ms', bars: [{ label: 'a & b', value: 3 }, { label: 'c', value: NaN }], threshold: { value: 10, label: 'budget' } });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('CPU &lt;per&gt; stage');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('not measured');
    expect(svg).toContain('stroke-dasharray');
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(2);
  });

  it('line chart: markers for finite points only', () => {
    const svg = lineChartSvg({ title: 't', xLabel: 'K', yLabel: '%', series: [{ name: 's', points: [[4, 0], [8, 0.5], [16, NaN]] }], threshold: { value: 1, label: 'limit' } });
    expect((svg.match(/<circle/g) ?? []).length).toBe(2);
    expect(svg).toContain('<polyline');
    expect(escapeXml(`"'`)).toBe('&quot;&apos;');
  });
});
