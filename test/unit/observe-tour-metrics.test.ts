import { describe, expect, it } from 'vitest';
import { PatrolMetrics } from '../../src/observe/metrics.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('tour metrics', () => {
  it('counts visits by result, their duration, interval misses and the cameras held open; forgets a camera that left', async () => {
    const m = new PatrolMetrics('worker');
    const tour = (held: boolean) => ({ revisitSec: 60, visits: 1, misses: 0, held });
    m.status({ cameraId: 'a', state: 'live', attempt: 0, tour: tour(false) });
    m.status({ cameraId: 'b', state: 'live', attempt: 0, tour: tour(true) });
    m.status({ cameraId: 'c', state: 'live', attempt: 0 });
    m.tourVisit({ cameraId: 'a', ok: true, startedAt: 0, durationMs: 1_200, miss: false });
    m.tourVisit({ cameraId: 'a', ok: true, startedAt: 0, durationMs: 800, miss: true });
    m.tourVisit({ cameraId: 'b', ok: false, startedAt: 0, durationMs: 5_000, miss: false, reason: 'stream not found (404)' });
    let text = await m.text();
    expect(value(text, 'patrol_tour_visits_total{camera="a",result="ok",role="worker"}')).toBe(2);
    expect(value(text, 'patrol_tour_visits_total{camera="b",result="failed",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_tour_interval_misses_total{camera="a",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_tour_visit_seconds_count{role="worker",result="ok"}')).toBe(2);
    expect(value(text, 'patrol_tour_visit_seconds_sum{role="worker",result="ok"}')).toBeCloseTo(2);
    expect(value(text, 'patrol_tour_cameras{held="true",role="worker"}')).toBe(1);
    expect(value(text, 'patrol_tour_cameras{held="false",role="worker"}')).toBe(1);
    m.forgetCamera('a');
    text = await m.text();
    expect(value(text, 'patrol_tour_visits_total{camera="a",result="ok",role="worker"}')).toBeUndefined();
    expect(value(text, 'patrol_tour_interval_misses_total{camera="a",role="worker"}')).toBeUndefined();
    expect(value(text, 'patrol_tour_cameras{held="false",role="worker"}')).toBe(0);
  });
});
