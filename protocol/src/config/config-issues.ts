/**
 * A config can be wrong in many places at once. Rather than making the user fix one thing per run, the
 * loader collects every problem as an issue and throws them together in one ConfigurationError.
 */
import { ConfigurationError } from '../errors.js';
import { redact } from '../redaction.js';

/** A key path into the config: object keys and array indexes. */
export type ConfigKeyPath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  /** Dotted key path (`ssh_tunnel.port`, `hosts[0]`); empty for the config as a whole. */
  path: string;
  /** What is wrong, without the path, and never with a secret value in it. */
  message: string;
  hint?: string;
  /** The config file the offending value came from, when known. */
  file?: string;
  cause?: unknown;
}

/** `['ssh_tunnel', 'port']` -> `ssh_tunnel.port`; `['hosts', 0]` -> `hosts[0]`. */
export function formatKeyPath(path: ConfigKeyPath): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? key : `.${key}`;
  }
  return text;
}

function describeIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/**
 * One error for one or many issues. With a single issue the path goes into `where.path`, so the stderr
 * line reads `at ssh_tunnel.port: must be integer` rather than repeating the path; with several, each
 * part of the message carries its own path and they are joined with '; '.
 */
export class InvalidConfigError extends ConfigurationError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const [first] = issues;
    const single = issues.length === 1 ? first : undefined;
    const files = new Set(issues.map((issue) => issue.file));
    const [onlyFile] = files.size === 1 ? [...files] : [];
    const hints = [...new Set(issues.flatMap((issue) => (issue.hint ? [issue.hint] : [])))];
    // Redacting here is the last line of defence: issue messages are built not to contain values.
    const message = redact(single ? single.message : issues.map(describeIssue).join('; '));
    super(message, {
      ...(single && single.path !== '' ? { path: single.path } : {}),
      ...(onlyFile === undefined ? {} : { file: onlyFile }),
      // Past a couple of distinct hints the line becomes unreadable; `issues` keeps each one.
      ...(hints.length > 2 ? { hint: 'Fix each setting listed' } : hints.length > 0 ? { hint: hints.join('; ') } : {}),
      ...(single?.cause === undefined ? {} : { cause: single.cause }),
    });
    this.issues = issues;
  }
}
