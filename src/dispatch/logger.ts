/** The logging the dispatch queues need: a structural subset of pino's Logger, so the app's logger fits as is. */
export interface DispatchLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};
export const silentLogger: DispatchLogger = { debug: noop, info: noop, warn: noop, error: noop };
