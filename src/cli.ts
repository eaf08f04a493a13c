import { parseArgs } from 'node:util';
import { isPatrolError } from './errors.js';
import { ViolationType } from './contracts/violation.js';

const USAGE = `Patrol — video-AI violation detection (stall encroachment, illegal dumping, waste burning)

Usage:
  patrol run     [--config F] [--once] [--no-review]   analyze the configured cameras (default command)
  patrol analyze VIDEO [--config F] [--zones full-frame] [--interval S] [--violations V,…]
                                                       run the pipeline over one video file as fast as
                                                       possible; print each event as a JSON line. Checks every
                                                       violation the model reports unless --violations
                                                       narrows it (stall, dumping, burning)
  patrol serve   [--config F]                          review server only (consumes the dispatch queue)
  patrol worker  [--config F]                          camera worker of a fleet: leases its share of the
                                                       cameras from Redis (needs REDIS_URL); see docs/FLEET.md
  patrol check-config [--config F]                     validate a config file and exit

Options:
  --config F     configuration file (default config/default.yaml)
  --once         analyze each camera once (file cameras: one pass at full speed), print a summary, exit
  --no-review    do not start the review UI/API in this process
  -h, --help     this text

Environment: REDIS_URL (use BullMQ on Redis instead of the embedded queue), PATROL_STORAGE_DIR,
PATROL_HOST, PATROL_PORT, PATROL_LOG_LEVEL, PATROL_ADMIN_PASSWORD (first-run admin password),
PATROL_WORKER_ID, PATROL_METRICS_HOST, PATROL_METRICS_PORT (/metrics, /healthz, /readyz; 'off' disables).`;

async function main(argv: string[]): Promise<number> {
  // Everything Patrol and its ffmpegs write (review.db, queue, clips, ring segments) holds footage, password
  // hashes or session hashes: owner-only, whatever the shell's umask.
  process.umask(0o077);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'config/default.yaml' },
      once: { type: 'boolean', default: false },
      'no-review': { type: 'boolean', default: false },
      zones: { type: 'string' },
      interval: { type: 'string' },
      violations: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command = 'run', ...rest] = positionals;
  if (values.help || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  switch (command) {
    case 'run': {
      const { runCommand } = await import('./pipeline/run-command.js');
      return runCommand({ configPath: values.config, once: values.once, review: !values['no-review'] });
    }
    case 'analyze': {
      const video = rest[0];
      if (!video) {
        console.error('patrol analyze needs a video file: patrol analyze path/to/video.mp4 [--config F] [--zones full-frame]');
        return 2;
      }
      if (values.zones !== undefined && values.zones !== 'full-frame' && values.zones !== 'config') {
        console.error(`--zones ${values.zones}: use 'full-frame' (the whole picture) or 'config' (the first camera's zones)`);
        return 2;
      }
      const interval = values.interval === undefined ? undefined : Number(values.interval);
      if (interval !== undefined && !(interval > 0)) {
        console.error(`--interval ${values.interval}: give the analysis interval in seconds, e.g. --interval 2`);
        return 2;
      }
      let violations: ViolationType[] | undefined;
      if (values.violations !== undefined) {
        const list = values.violations.split(',').map((v) => v.trim()).filter(Boolean);
        const bad = list.filter((v) => !ViolationType.safeParse(v).success);
        if (list.length === 0 || bad.length > 0) {
          console.error(`--violations ${values.violations}: give a comma-separated list of ${ViolationType.options.join(', ')}, e.g. --violations burning`);
          return 2;
        }
        violations = list as ViolationType[];
      }
      const { analyzeCommand } = await import('./pipeline/analyze-command.js');
      return analyzeCommand({ video, configPath: values.config, zones: (values.zones as 'full-frame' | 'config' | undefined) ?? 'full-frame', intervalSec: interval, violations });
    }
    case 'serve': {
      const { serveCommand } = await import('./pipeline/serve-command.js');
      return serveCommand({ configPath: values.config });
    }
    case 'worker': {
      const { workerCommand } = await import('./pipeline/worker-command.js');
      return workerCommand({ configPath: values.config });
    }
    case 'check-config': {
      const { loadConfig } = await import('./config/load-config.js');
      const { resolveTransport } = await import('./config/transport.js');
      const { transportLabel, TRANSPORT_WIDTH } = await import('./contracts/camera-status.js');
      const { config, file } = loadConfig(values.config);
      console.log(`${file}: OK — ${config.cameras.length} camera(s), detector ${config.detector.manifest}`);
      for (const c of config.cameras) {
        const t = resolveTransport(c);
        console.log(`  ${c.id.padEnd(22)} ${transportLabel(t).padEnd(TRANSPORT_WIDTH)}  ${t.why}${c.tour ? ', toured' : ''}${c.enabled ? '' : ' (disabled)'}`);
      }
      return 0;
    }
    default:
      console.error(`Unknown command '${command}'.\n\n${USAGE}`);
      return 2;
  }
}

/**
 * Errors the user can fix, formatted for a terminal (no stack): a PatrolError, or any error that carries a
 * string `hint` (the PatrolError shape, whatever its class). Anything else is a bug: stack kept.
 */
function userError(err: unknown): string | undefined {
  if (isPatrolError(err)) return err.format();
  if (!(err instanceof Error)) return undefined;
  const hint = (err as { hint?: unknown }).hint;
  if (typeof hint === 'string' && hint) return `${err.message}\n  Fix: ${hint}`;
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const user = userError(err);
    if (user !== undefined) {
      console.error(`patrol: ${user}`);
      process.exitCode = 2;
    } else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`patrol: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
