import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PatrolMetrics } from '../../src/observe/metrics.js';

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}

describe('docs/grafana-dashboard.json', () => {
  it('is valid JSON and only queries metrics Patrol exports', async () => {
    const dash = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: Panel[] };
    const exported = new Set((await new PatrolMetrics('worker').registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const p of dash.panels) for (const t of p.targets ?? []) for (const m of t.expr.matchAll(/\bpatrol_[a-z_]+/g)) used.add(m[0].replace(/_(bucket|sum|count)$/, ''));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  });
});
