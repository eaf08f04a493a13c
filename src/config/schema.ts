import { z } from 'zod';
import { ViolationType } from '../contracts/violation.js';

/**
 * The single Patrol configuration schema. It validates `config/*.yaml` at start-up and is exported as
 * `config/schema.json` so editors can complete and check the file; the `.describe()` texts are the docs.
 */

const Point = z
  .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
  .describe('[x, y] normalized to the picture: 0,0 top-left, 1,1 bottom-right');

export const ZoneSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only'),
    name: z.string().optional(),
    polygon: z.array(Point).min(3).describe('At least three points, normalized coordinates, not self-intersecting'),
    violations: z.array(ViolationType).min(1).describe('Violation types watched in this zone'),
    anchor: z
      .enum(['bottom-center', 'center', 'overlap'])
      .default('bottom-center')
      .describe('How a box is tested against the zone: its bottom-center point (objects on the ground), its center, or the fraction of its area inside'),
    minOverlap: z.number().min(0).max(1).default(0.3).describe("With anchor 'overlap': fraction of the box's area that must be inside"),
    kind: z
      .enum(['frontage', 'sidewalk', 'dumping-spot'])
      .optional()
      .describe("What a new object that appears and stays here means (the scene model): frontage (shop frontage: goods put out are a stall, attended or not), sidewalk (no-vending pavement: attended or with stall furniture is a stall, left alone is dumping), dumping-spot (anything left is dumping unless a vendor attends it with stall furniture). Unset: like sidewalk"),
  })
  .strict();
export type ZoneConfig = z.infer<typeof ZoneSchema>;

/** "HH:MM", 24-hour clock. */
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time of day as HH:MM (24-hour, e.g. 06:30)');

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const TourHoursSchema = z
  .object({
    from: ClockTime.describe('Start of the window, HH:MM in tour.timezone'),
    to: ClockTime.describe('End of the window, HH:MM (exclusive); before `from` = the window runs past midnight'),
    days: z.array(z.enum(WEEKDAYS)).min(1).optional().describe('Weekdays the window applies on (the day it starts); default every day'),
    priority: z.number().min(1).max(100).describe('Priority inside the window (replaces the camera\'s priority while it is higher): 3 = visited three times as often'),
  })
  .strict();
export type TourHours = z.infer<typeof TourHoursSchema>;

export const CameraTourSchema = z
  .object({
    revisitSec: z.number().min(1).max(86_400).default(60).describe('Visit the camera at least once per this many seconds (priority 1)'),
    priority: z
      .number()
      .min(1)
      .max(100)
      .default(1)
      .describe('How much more often than revisitSec the camera is visited: a hotspot at 2 is visited every revisitSec / 2; under overload every camera is visited less often, in proportion'),
    hours: z.array(TourHoursSchema).default([]).describe('Time windows (market hours) that raise the priority, e.g. {from: "06:00", to: "09:00", priority: 3}'),
  })
  .strict()
  .describe(
    'Tour mode (轮巡; the in-process client: rtsp:// decoded at keyframes, transport native or left out) for cameras whose violations are slow (stall, dumping): the camera is not held open; a tour worker visits it in turn (connect, first keyframe, analyze, disconnect). While a candidate or an open event is on the camera it is held open like any native camera (analyzed every intervalSec) and returns to the tour when it ends',
  );
export type CameraTourConfig = z.infer<typeof CameraTourSchema>;

export const CameraSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only'),
    name: z.string().optional(),
    url: z
      .string()
      .regex(/^(rtsp|rtsps|file):\/\//, 'must start with rtsp://, rtsps:// or file://')
      .describe('rtsp://host/path or file://path (relative paths resolve against the config file). ${ENV} is substituted, so credentials can stay out of the file'),
    enabled: z.boolean().default(true),
    /** A file source loops in real time, to act as a live camera. */
    loop: z.boolean().default(true).describe('file:// only: loop the file in real time like a live camera'),
    zones: z.array(ZoneSchema).default([]).describe('No-violation zones; empty means the whole picture, for all enabled violations'),
    violations: z.array(ViolationType).default(['stall', 'dumping', 'burning']).describe('Violation types analyzed on this camera'),
    intervalSec: z.number().positive().max(3600).default(5).describe('Analyze one frame every N seconds'),
    intervals: z
      .object({ stall: z.number().positive().max(3600).optional(), dumping: z.number().positive().max(3600).optional(), burning: z.number().positive().max(3600).optional() })
      .strict()
      .optional()
      .describe('Per-violation analysis intervals in seconds (e.g. stall 10, dumping 5, burning 2). One inference serves every type, so the camera is analyzed at the shortest interval among its enabled violations; intervalSec is the fallback for types not listed'),
    scene: z
      .boolean()
      .optional()
      .describe('Run the scene model on the analyzed frames (default true): objects of any kind that appear in a stall or dumping zone and stay become candidates (what was there at start is baseline)'),
    decode: z
      .enum(['keyframe', 'interval'])
      .default('keyframe')
      .describe('keyframe: decode only I-frames (cheapest; interval rounds up to the GOP); interval: decode all, keep one per intervalSec'),
    // Optional rather than defaulted: absent = resolveTransport (config/transport.ts) decides per camera.
    transport: z
      .enum(['ffmpeg', 'native'])
      .optional()
      .describe(
        "How the camera is received. Left out: native for a plain rtsp:// camera decoded at keyframes, ffmpeg for everything else (file://, rtsps://, decode: interval); the camera's status, the Cameras page and the start-up log say which it got and why. native (rtsp:// only, H.264/H.265 over TCP, or UDP with rtspTransport: udp): Patrol's in-process RTSP client keeps the newest keyframe and, when the camera is due, a decoder shared by all cameras decodes it — far less CPU and memory per camera; a GOP longer than the interval is decoded forward from its keyframe (decode: interval is not supported). Its clips come from the last 20 s of compressed video kept in memory (≈ 1.4 MB at 512 kbit/s, at most 3 MiB), the post-roll collected as it arrives, muxed to MP4 by stream copy. native speaks no rtsps://; a camera left on the default that offers another codec (MJPEG, MPEG-4) goes over to ffmpeg by itself, one set to native fails with a reason that says to set ffmpeg. ffmpeg: one ffmpeg process per camera receives, decodes and letterboxes (any url and codec; its clips are cut from a ring of 2 s segments the same ffmpeg writes to disk)",
      ),
    // Optional rather than defaulted (absent = tcp), so CameraConfig literals need not name it.
    rtspTransport: z
      .enum(['tcp', 'udp'])
      .optional()
      .describe(
        "How an rtsp:// camera's RTP video travels, on either transport. tcp (the default when left out): inside the RTSP connection (interleaved) — one connection, passes NAT and firewalls. udp: RTP and RTCP as datagrams to a pair of local UDP ports (the RTSP requests and keep-alives stay on TCP); for cameras or NVRs that stream only over UDP. The camera's UDP packets must reach this machine: a firewall or NAT that drops them shows as a timeout whose reason says to try tcp. A camera that refuses UDP fails with a reason that says so (no silent fallback to tcp). check-config, the start-up log, the camera's status and the Cameras page say 'RTP over UDP' for it. With transport native, datagrams are read in the read pacer's 100 ms batches like tcp, but each is its own read: receiving costs ≈ 1.6× the CPU of tcp",
      ),
    tour: CameraTourSchema.optional(),
  })
  .strict();
export type CameraConfig = z.infer<typeof CameraSchema>;

export const DetectorSchema = z
  .object({
    manifest: z.string().describe('Path to the model manifest (models/NAME.json); the manifest names the .onnx file'),
    threads: z.number().int().min(1).max(64).default(1).describe('onnxruntime intra-op threads per session'),
    cropCheck: z
      .boolean()
      .default(true)
      .describe("Run the manifest's crop check (a small classifier that looks again at each fire box and shrinks the score of look-alikes: red signs, orange flowers, lamps); false trusts the detector's score alone. Models without one ignore it"),
    burningCheck: z
      .object({
        enabled: z.boolean().default(true).describe('Second-stage check of fire and smoke: a short burst of consecutive frames must show a flickering flame (or smoke beside one); off trusts the detector alone'),
        candidateRatio: z.number().gt(0).max(1).default(0.5).describe('Fire/smoke detections down to this share of the manifest threshold become candidates the burst may confirm'),
        everySec: z.number().positive().max(3600).default(10).describe('At most one burst per camera per this many seconds'),
        holdSec: z.number().positive().max(3600).default(30).describe('How long a verdict stands for a candidate in the same place'),
      })
      .strict()
      .default({ enabled: true, candidateRatio: 0.5, everySec: 10, holdSec: 30 })
      .describe('Burning second-stage check (flame flicker, smoke drift) on a burst of frames decoded only when a candidate appears'),
  })
  .strict();

export const RuleSchema = z
  .object({
    minScore: z.number().min(0).max(1).optional().describe("Score threshold; defaults to each class's manifest threshold"),
    classScores: z.record(z.string(), z.number().min(0).max(1)).default({}).describe('Per-class thresholds by class name'),
    dwellSec: z.number().min(0).describe('Seconds the violation must persist before an event is raised'),
    hits: z.number().int().min(1).describe('K: seen in at least K ...'),
    window: z.number().int().min(1).describe('... of the last M analyzed frames'),
    endAfterSec: z.number().positive().describe('An event ends after this long without a sighting'),
    cooldownSec: z.number().min(0).describe('After an event ends, no new one in the same camera/zone/type for this long'),
  })
  .strict()
  .refine((r) => r.hits <= r.window, { message: 'hits (K) must not exceed window (M)', path: ['hits'] });
export type RuleConfig = z.infer<typeof RuleSchema>;

export const DEFAULT_RULES: Record<ViolationType, RuleConfig> = {
  stall: { classScores: {}, dwellSec: 120, hits: 4, window: 6, endAfterSec: 120, cooldownSec: 300 },
  dumping: { classScores: {}, dwellSec: 60, hits: 4, window: 6, endAfterSec: 300, cooldownSec: 600 },
  burning: { classScores: {}, dwellSec: 4, hits: 2, window: 3, endAfterSec: 60, cooldownSec: 120 },
};

export const LogLevelSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Defaults of the `fleet` section; a config without one is a valid single-process config. */
export const FLEET_DEFAULTS = {
  leaseTtlSec: 10,
  heartbeatSec: 3,
  keyPrefix: 'patrol:fleet',
  metricsHost: '127.0.0.1',
  metricsPort: 9464,
} as const;

export const FleetSchema = z
  .object({
    workerId: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : and - only').optional().describe('This worker\'s name in Redis; default <hostname>-<pid>. PATROL_WORKER_ID in the environment wins'),
    leaseTtlSec: z.number().min(1).max(300).default(FLEET_DEFAULTS.leaseTtlSec).describe('A camera lease lapses this long after its last renewal (a dead worker\'s cameras move after at most this long)'),
    heartbeatSec: z.number().min(0.2).max(100).default(FLEET_DEFAULTS.heartbeatSec).describe('Leases and worker membership are renewed this often; a worker stops a camera when less than this is left on its lease'),
    keyPrefix: z.string().min(1).default(FLEET_DEFAULTS.keyPrefix).describe('Prefix of the fleet\'s Redis keys (one prefix per fleet sharing a Redis)'),
    maxCameras: z.number().int().min(1).optional().describe('Most cameras this worker leases, whatever the fleet size (default: an even share, ceil(cameras / live workers))'),
    rtspAnalyzeDurationSec: z.number().min(0.1).max(30).optional().describe("Cameras on transport ffmpeg: how long ffmpeg probes an RTSP stream before decoding (ffmpeg's default 5 s; the in-process client does not probe); 1 s starts a moved camera ≈3 s sooner; a probe that ends before the first keyframe is retried at once with double the time"),
    metricsHost: z.string().default(FLEET_DEFAULTS.metricsHost).describe('Address of the /metrics, /healthz, /readyz server; 0.0.0.0 in containers. PATROL_METRICS_HOST wins'),
    metricsPort: z.number().int().min(0).max(65535).default(FLEET_DEFAULTS.metricsPort).describe('Port of the /metrics, /healthz, /readyz server (0: any free port). PATROL_METRICS_PORT wins'),
  })
  .strict()
  .refine((f) => f.heartbeatSec * 2 < f.leaseTtlSec, { message: 'heartbeatSec must be less than half of leaseTtlSec', path: ['heartbeatSec'] })
  .describe('Camera workers across processes and machines (`patrol worker`), and the metrics/health endpoint of every role');
export type FleetConfig = z.infer<typeof FleetSchema>;

/** Defaults of the `tour` section. */
export const TOUR_DEFAULTS = { maxVisits: 32, visitTimeoutSec: 10, missTolerance: 0.5 } as const;

export const TourSchema = z
  .object({
    maxVisits: z.number().int().min(1).max(1000).default(TOUR_DEFAULTS.maxVisits).describe('Most tour visits in progress at once in this process (connections open for visits; held cameras do not count). A visit lasts the connect plus the wait for the next keyframe (≈ 1–2 s on a 2 s GOP): 32 visit 1000 cameras a minute'),
    visitTimeoutSec: z
      .number()
      .min(1)
      .max(120)
      .default(TOUR_DEFAULTS.visitTimeoutSec)
      .describe('A visit that has no keyframe (with its parameter sets) this long after it began fails and the camera backs off; at least one GOP plus the connect time'),
    timezone: z
      .string()
      .refine((tz) => validTimeZone(tz), 'an IANA time zone such as Asia/Shanghai')
      .optional()
      .describe("Time zone of the cameras' tour.hours windows (IANA, e.g. Asia/Shanghai); default the machine's"),
    missTolerance: z
      .number()
      .min(0)
      .max(10)
      .default(TOUR_DEFAULTS.missTolerance)
      .describe('A visit that begins later than its due time plus this share of the revisit interval counts as an interval miss'),
  })
  .strict()
  .describe('Tour mode settings of each process (see cameras[].tour)');
export type TourConfig = z.infer<typeof TourSchema>;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const REVIEW_DEFAULTS = {
  enabled: true,
  host: '127.0.0.1',
  port: 8080,
  trustProxy: false,
  secureCookies: 'auto' as const,
  sessionHours: 8,
  idleMinutes: 30,
  loginPerMinute: 10,
  lockout: { failures: 5, windowMinutes: 15, lockMinutes: 15 },
  auditRetentionDays: 365,
};

export const ReviewSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().default('127.0.0.1').describe('Address the review UI binds; 0.0.0.0 in containers. PATROL_HOST wins'),
    port: z.number().int().min(0).max(65535).default(8080).describe('PATROL_PORT wins'),
    trustProxy: z
      .union([z.boolean(), z.string().min(1), z.array(z.string().min(1)).min(1)])
      .default(false)
      .describe("Behind a TLS-terminating reverse proxy: true, or the proxy's address/CIDR (e.g. 10.0.0.0/8). Then X-Forwarded-Proto makes cookies Secure and X-Forwarded-For is the client IP in the audit log"),
    secureCookies: z
      .union([z.literal('auto'), z.boolean()])
      .default('auto')
      .describe("Session cookie's Secure flag: 'auto' = when the request came over https (directly or via a trusted proxy); true = always (the UI then only works over https)"),
    sessionHours: z.number().min(0.25).max(168).default(8).describe('A login lasts at most this long, active or not'),
    idleMinutes: z.number().min(1).max(1440).default(30).describe('A session unused this long ends (shared consoles)'),
    loginPerMinute: z.number().int().min(1).max(10_000).default(10).describe('Login attempts per client IP per minute'),
    lockout: z
      .object({
        failures: z.number().int().min(1).max(1000).default(5).describe('Wrong passwords for one account within windowMinutes that lock it'),
        windowMinutes: z.number().min(0.1).max(1440).default(15),
        lockMinutes: z.number().min(0.1).max(1440).default(15).describe('How long the lock lasts; it expires by itself'),
      })
      .strict()
      .default(REVIEW_DEFAULTS.lockout)
      .describe('Per-account login throttling, beside the per-IP limit'),
    auditRetentionDays: z.number().int().min(30).max(3650).default(365).describe('Audit log entries older than this are deleted (at least 30)'),
  })
  .strict()
  .describe('The review service: UI/API address, sessions, login throttling, audit retention');
export type ReviewConfig = z.infer<typeof ReviewSchema>;

export const ConfigSchema = z
  .object({
    cameras: z.array(CameraSchema).min(1).describe('Cameras to analyze'),
    detector: DetectorSchema,
    rules: z
      .object({ stall: RuleSchema.optional(), dumping: RuleSchema.optional(), burning: RuleSchema.optional() })
      .strict()
      .default({})
      .describe('Persistence rules per violation type; omitted types use the defaults'),
    queue: z
      .object({
        redisUrl: z.string().optional().describe('redis://host:port; empty uses the embedded durable queue. REDIS_URL in the environment wins'),
        name: z.string().default('patrol-events'),
      })
      .strict()
      .default({ name: 'patrol-events' }),
    storage: z
      .object({ dir: z.string().default('var').describe('Where events, evidence and the embedded queue live (relative to the working directory)') })
      .strict()
      .default({ dir: 'var' }),
    review: ReviewSchema.default(REVIEW_DEFAULTS),
    log: z
      .object({ level: LogLevelSchema.default('info').describe('PATROL_LOG_LEVEL in the environment wins') })
      .strict()
      .default({ level: 'info' }),
    // Fleet: `patrol worker` leases cameras from Redis; every role serves /metrics, /healthz, /readyz.
    fleet: FleetSchema.default(FLEET_DEFAULTS),
    tour: TourSchema.default(TOUR_DEFAULTS),
  })
  .strict();

export type PatrolConfig = z.infer<typeof ConfigSchema>;
