import { describe, expect, it } from 'vitest';
import { cameraView } from '../../src/review/api/camera-view.js';
import { CameraView } from '../../src/review/api/schemas.js';
import { CameraRuntimeSchema } from '../../src/contracts/camera-status.js';
import type { CameraConfig } from '../../src/config/schema.js';

describe('Cameras page: a toured camera', () => {
  it('carries the tour bookkeeping from the worker (through the Redis schema) to the API answer', () => {
    const camera = { id: 'market', url: 'rtsp://u:p@10.0.0.1/s', enabled: true, violations: ['stall'], transport: 'native', tour: { revisitSec: 60, priority: 1, hours: [] } } as unknown as CameraConfig;
    const tour = { revisitSec: 30, lastVisitAt: 1_000, nextDueAt: 31_000, visits: 12, misses: 1, held: false };
    const published = CameraRuntimeSchema.parse(JSON.parse(JSON.stringify({ cameraId: 'market', state: 'live', attempt: 0, tour, extra: 1 })));
    const view = CameraView.parse(cameraView(camera, published, false));
    expect(view.tour).toEqual(tour);
    expect(view.source).toBe('rtsp://10.0.0.1/s');
    expect(CameraView.parse(cameraView({ ...camera, tour: undefined }, { cameraId: 'market', state: 'live', attempt: 0 }, false)).tour).toBeUndefined();
  });
});
