/**
 * The fleet's Redis keys. Every key starts with one prefix, so several fleets can share a Redis and one
 * `SCAN prefix*` shows everything a fleet keeps. Scripts build per-camera keys from the prefix too, so the
 * whole fleet must live on one Redis node (not spread over a cluster's slots).
 */
export interface FleetKeys {
  readonly prefix: string;
  /** Hash: camera id → camera config (JSON), registered from the config at worker start. */
  readonly cameras: string;
  /** Counter bumped whenever the registered cameras change, so workers reload only then. */
  readonly camerasVersion: string;
  /** Sorted set: worker id → expiry (Redis ms). Live workers = members not yet expired. */
  readonly workers: string;
  /** String with PX TTL: what a live worker says about itself (host, pid, started, cameras). */
  worker(workerId: string): string;
  /** String with PX TTL: `<workerId>:<token>` while a worker holds the camera. */
  lease(cameraId: string): string;
  /** Counter: the camera's fencing tokens, strictly increasing over every lease ever granted. */
  fence(cameraId: string): string;
  /** String: the camera's open (and cooling-down) events, JSON, written only by the lease holder. */
  openEvents(cameraId: string): string;
  /** Binary string with PX TTL: the camera's scene model (scene/snapshot.ts), written only by the lease holder. */
  scene(cameraId: string): string;
  /** String with PX TTL: the camera's runtime state (JSON, camera-state.ts), written by its current worker. */
  state(cameraId: string): string;
  /** Stream: reviewers' "normal here" notices (JSON), read by every worker for the cameras it holds. */
  readonly normalHere: string;
  /** Test hook (PATROL_FLEET_TRACE=1): list of analyzed frames, {camera, worker, token, t}. */
  readonly trace: string;
}

export function fleetKeys(prefix: string): FleetKeys {
  return {
    prefix,
    cameras: `${prefix}:cameras`,
    camerasVersion: `${prefix}:cameras:version`,
    workers: `${prefix}:workers`,
    worker: (id) => `${prefix}:worker:${id}`,
    lease: (id) => `${prefix}:lease:${id}`,
    fence: (id) => `${prefix}:fence:${id}`,
    openEvents: (id) => `${prefix}:open:${id}`,
    state: (id) => `${prefix}:state:${id}`,
    scene: (id) => `${prefix}:scene:${id}`,
    normalHere: `${prefix}:normal-here`,
    trace: `${prefix}:trace`,
  };
}

/** The value a lease key holds: who holds it, and with which fencing token. */
export function leaseValue(workerId: string, token: number): string {
  return `${workerId}:${token}`;
}

export function parseLeaseValue(value: string): { workerId: string; token: number } | undefined {
  const i = value.lastIndexOf(':');
  if (i <= 0) return undefined;
  const token = Number(value.slice(i + 1));
  return Number.isSafeInteger(token) ? { workerId: value.slice(0, i), token } : undefined;
}
