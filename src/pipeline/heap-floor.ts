/**
 * A process holding cameras keeps a small JavaScript heap (≈ 25 MB at 100 cameras) while megabytes a second
 * of packets, decoded frames and tensors pass through memory outside it. V8 sets the old generation's limit
 * from that small heap, so the promoted remains of the traffic reached it about twice a second: 100 native
 * cameras against the camera farm ran ≈ 50 full mark-compacts in 32 s, and the garbage collector was a third
 * of the main thread's work plus as much again on its helper threads. A floor under the limit
 * (`--initial-old-space-size`, a V8 flag only the node command line takes) lets those remains die in a few
 * collections instead: 7–8 mark-compacts in the same run, the Node side 1.31–1.35 → 0.77–0.91 CPU-ms per
 * camera-second, a live worker of 128 cameras 6.9 → 5.5 end to end, for ≈ 0.3 MB more RSS per camera.
 * 128 MB: 64 left twice the collections, 256 measured no better.
 */

/** The node flag camera workers start with: `npm start`, bin/patrol.js, the container image, the benches. */
export const HEAP_FLOOR_FLAG = '--initial-old-space-size=128';

const FLAG_NAME = HEAP_FLOOR_FLAG.slice(0, HEAP_FLOOR_FLAG.indexOf('='));

/** True when this process was started with a heap floor (any value: an operator may choose another). */
export function hasHeapFloor(execArgv: readonly string[] = process.execArgv): boolean {
  // V8 takes its flags with - or _ between words.
  return execArgv.some((a) => {
    const flag = a.replace(/_/g, '-');
    return flag === FLAG_NAME || flag.startsWith(`${FLAG_NAME}=`);
  });
}

/** Below this many cameras the collector's extra passes cost too little to mention. */
const ADVISE_FROM_CAMERAS = 16;

/**
 * What to tell an operator who started a camera worker for `cameras` cameras without the floor; undefined
 * when it is set or the process holds too few cameras for it to matter.
 */
export function heapFloorAdvice(cameras: number, execArgv: readonly string[] = process.execArgv): string | undefined {
  if (cameras < ADVISE_FROM_CAMERAS || hasHeapFloor(execArgv)) return undefined;
  return (
    `node was started without ${FLAG_NAME}: with many cameras the garbage collector runs several times as often ` +
    `(≈ 0.5 CPU-ms more per camera-second). Start with \`node ${HEAP_FLOOR_FLAG} bin/patrol.js …\` ` +
    '(npm start, bin/patrol.js and the container image do; NODE_OPTIONS cannot carry it).'
  );
}

/** Logs heapFloorAdvice as a warning when there is any: the start-up of `patrol run` and `patrol worker`. */
export function warnWithoutHeapFloor(log: { warn(msg: string): void }, cameras: number): void {
  const advice = heapFloorAdvice(cameras);
  if (advice) log.warn(advice);
}
