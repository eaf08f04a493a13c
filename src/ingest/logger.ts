/**
 * The logging surface ingest needs; a pino logger (or a child of one) fits as it is. Every message and
 * field that can hold a camera URL is passed through redactUrl() before it gets here.
 */
export interface IngestLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};
export const silentLogger: IngestLogger = { debug: noop, info: noop, warn: noop, error: noop };
