import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redactCredentials, redactDeep } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Pretty, human-readable output; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go; defaults to stdout (fd 1). */
  destination?: NodeJS.WritableStream;
}

/**
 * JSON logs (pretty on a TTY). Every string in every line passes through credential redaction, because
 * camera URLs (`rtsp://user:pass@…`) turn up in ffmpeg errors, configs and stack traces.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && !opts.destination);
  const options: pino.LoggerOptions = {
    level: opts.level ?? process.env.PATROL_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    formatters: { log: (obj) => redactDeep(obj) },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? redactCredentials(a) : a));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    serializers: { err: (e: unknown) => redactDeep(pino.stdSerializers.err(e as Error)) },
  };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options, opts.destination ?? pino.destination(1));
}
