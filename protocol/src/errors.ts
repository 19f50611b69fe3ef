/**
 * The one error taxonomy of Tapline. Every failure a program reports belongs to one kind, and the kind
 * decides the exit code, so orchestrators can tell "fix your config" from "retry later" without parsing
 * text. Each error renders as one stderr line: what failed, where, and what to do.
 */

export type ErrorKind =
  | 'configuration'
  | 'discovery'
  | 'connection'
  | 'sync'
  | 'data'
  | 'interrupted';

/** Exit codes by kind. 0 is success; 1 is reserved for failures we did not classify (a bug). */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  sync: 3,
  configuration: 2,
  discovery: 4,
  connection: 5,
  data: 6,
  interrupted: 130,
};

/** Where a failure happened, as far as it is known. Every part is optional. */
export interface ErrorLocation {
  stream?: string;
  line?: number;
  column?: string;
  file?: string;
  path?: string;
}

export interface TaplineErrorOptions extends ErrorLocation {
  /** What the user should do about it. */
  hint?: string;
  cause?: unknown;
}

export abstract class TaplineError extends Error {
  abstract readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly where: ErrorLocation;

  constructor(message: string, options: TaplineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const { hint, cause: _cause, ...where } = options;
    this.hint = hint;
    this.where = where;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Bad or missing configuration, a bad command line, an unreadable config or state file. */
export class ConfigurationError extends TaplineError {
  readonly kind = 'configuration' as const;
}

/** The source could not be described: missing table, unknown replication key, catalog mismatch. */
export class DiscoveryError extends TaplineError {
  readonly kind = 'discovery' as const;
}

/** The server could not be reached or refused us: wrong password, unreachable host, TLS failure. */
export class ConnectionError extends TaplineError {
  readonly kind = 'connection' as const;
}

/** A sync failed part-way for a reason that is neither the input's nor the connection's fault. */
export class SyncError extends TaplineError {
  readonly kind = 'sync' as const;
}

/** The input breaks the contract: malformed JSON, a RECORD before its SCHEMA, a value against its schema. */
export class DataError extends TaplineError {
  readonly kind = 'data' as const;
}

/** The program was asked to stop (SIGINT, SIGTERM) before it finished. */
export class InterruptedError extends TaplineError {
  readonly kind = 'interrupted' as const;
  readonly signal: NodeJS.Signals | undefined;
  constructor(signal?: NodeJS.Signals, options: TaplineErrorOptions = {}) {
    super(signal ? `interrupted by ${signal}` : 'interrupted', options);
    this.signal = signal;
  }
  override get exitCode(): number {
    // The shell convention: 128 + signal number, so `$?` says which signal stopped us.
    return this.signal === 'SIGTERM' ? 143 : this.signal === 'SIGHUP' ? 129 : 130;
  }
}

export function isTaplineError(error: unknown): error is TaplineError {
  return error instanceof TaplineError;
}

/** The exit code for anything thrown: a classified error's own code, otherwise 1. */
export function exitCodeOf(error: unknown): number {
  return isTaplineError(error) ? error.exitCode : 1;
}

function describeLocation(where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.file !== undefined) parts.push(`file ${where.file}`);
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.stream !== undefined) parts.push(`stream "${where.stream}"`);
  if (where.column !== undefined) parts.push(`column "${where.column}"`);
  if (where.path !== undefined) parts.push(`at ${where.path}`);
  return parts.join(', ');
}

/**
 * One line for stderr: `<program>: <kind> error: <where>: <message> (<hint>)`. The driver's own message
 * (the cause) is appended when it adds something, because it is often the only clue to the real problem.
 * Line breaks are folded so the line stays one line in any log collector.
 */
export function formatErrorLine(error: unknown, program?: string): string {
  const prefix = program ? `${program}: ` : '';
  let text: string;
  if (isTaplineError(error)) {
    const where = describeLocation(error.where);
    text = `${error.kind} error: ${where ? `${where}: ` : ''}${error.message}`;
    const cause = error.cause;
    if (cause instanceof Error && cause.message && !error.message.includes(cause.message)) {
      text += ` (cause: ${cause.message})`;
    }
    if (error.hint) text += `. ${error.hint}`;
  } else if (error instanceof Error) {
    text = `unexpected error: ${error.message}. This is a bug in Tapline; please report it with the log above`;
  } else {
    text = `unexpected error: ${String(error)}`;
  }
  return prefix + text.replace(/\s*\r?\n\s*/g, ' ');
}
