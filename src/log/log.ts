/**
 * The logging every stage takes: a structural subset of pino's Logger, so the app's logger (or a child of
 * one) fits as it is, and a test can pass a recorder. Messages that can hold a camera or Redis URL are
 * redacted (log/redact.ts) before they get here.
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};
/** For callers that pass no logger. */
export const silentLog: Log = { debug: noop, info: noop, warn: noop, error: noop };
