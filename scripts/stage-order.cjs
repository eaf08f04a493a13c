// The order of Patrol's source folders. A module may import its own folder and folders listed before
// it, never one listed after it: values flow one way, and a newcomer can read the stages top to bottom.
// Both the dependency rule (.dependency-cruiser.cjs) and the architecture doc's table
// (scripts/arch-graph.ts) are generated from this list.
module.exports = [
  // Shared by every stage: the values that cross stage boundaries, and helpers that know no stage.
  { name: 'contracts', path: 'src/contracts/', kind: 'base', role: 'values that cross stage boundaries, with zod schemas where they cross a process' },
  { name: 'errors', path: 'src/errors.ts', kind: 'base', role: 'PatrolError: a failure with the field to fix, shown without a stack' },
  { name: 'geometry', path: 'src/geometry/', kind: 'base', role: 'boxes and polygons (IoU, zone overlap, simple-polygon check)' },
  { name: 'timeout', path: 'src/timeout.ts', kind: 'base', role: 'withTimeout: give up waiting on work that may never settle' },
  { name: 'log', path: 'src/log/', kind: 'base', role: 'the one `Log` type and no-op log, pino with credential redaction' },
  // The stages. decode comes before ingest: it is the ffmpeg command line, binary and output parsing that
  // the ingest camera source drives, and it knows nothing of cameras coming and going.
  { name: 'config', path: 'src/config/', kind: 'stage', role: 'YAML → `PatrolConfig` (zod; `config/schema.json` generated from it)' },
  { name: 'decode', path: 'src/decode/', kind: 'stage', role: 'ffmpeg arguments, binary, stderr diagnosis, raw frame splitting' },
  { name: 'ingest', path: 'src/ingest/', kind: 'stage', role: 'camera → `Frame`s and `SourceStatus` (one ffmpeg per camera or the in-process RTSP client, reconnects, clip ring on disk or packet ring in memory)' },
  { name: 'detect', path: 'src/detect/', kind: 'stage', role: '`Frame[]` → `Detections[]` (onnxruntime, manifest, decoders, NMS)' },
  { name: 'scene', path: 'src/scene/', kind: 'stage', role: '`Frame` + `Detections` → static regions (per-camera background model; people and vehicles masked)' },
  { name: 'score', path: 'src/score/', kind: 'stage', role: '`Detections` → `EventChange[]` and a report per track (pure)' },
  { name: 'evidence', path: 'src/evidence/', kind: 'stage', role: '`EventChange` + `Frame` + track report → snapshots, proof, clips, sha256' },
  { name: 'dispatch', path: 'src/dispatch/', kind: 'stage', role: '`DispatchMessage` → queue (BullMQ or embedded SQLite) → consumer' },
  { name: 'review', path: 'src/review/', kind: 'stage', role: '`DispatchMessage` → store → API/UI for command-center staff' },
  // Wiring: builds processes out of the stages; may import every stage and the wiring listed before it.
  { name: 'observe', path: 'src/observe/', kind: 'wiring', role: 'Prometheus metrics, `/healthz` `/readyz`, camera health, analysis meters' },
  { name: 'fleet', path: 'src/fleet/', kind: 'wiring', role: 'what workers share through Redis: camera leases (Lua, fencing tokens), open events, camera state' },
  { name: 'pipeline', path: 'src/pipeline/', kind: 'wiring', role: 'the processes: sources → mailbox → detector → camera-analyzer; `run`, `analyze`, `serve`, `worker`' },
  { name: 'cli', path: 'src/cli.ts', kind: 'wiring', role: 'the `patrol` command line' },
];
