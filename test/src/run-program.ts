import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { parseExact } from '@tapline/protocol';

export interface ProgramRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed line by line (every stdout line of a Tapline program is a Singer message). */
  messages: Record<string, unknown>[];
  /** The values of the STATE messages on stdout, in order. */
  states: unknown[];
  /** stderr lines. */
  errLines: string[];
}

export interface RunOptions {
  args?: string[];
  /** A file fed to stdin, or text. */
  stdinFile?: string;
  stdinText?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Run a Tapline bin (a .js file) with node, feeding stdin and collecting everything it says. */
export function runProgram(bin: string, options: RunOptions = {}): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...(options.args ?? [])], {
      env: { ...process.env, TAPLINE_LOG_LEVEL: 'info', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // the program may exit before reading everything
    if (options.stdinFile !== undefined) createReadStream(options.stdinFile).pipe(child.stdin);
    else child.stdin.end(options.stdinText ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const messages: Record<string, unknown>[] = [];
      for (const line of stdout.split('\n')) {
        if (line.trim() === '') continue;
        let parsed: unknown;
        try {
          // As Tapline programs read messages: integers beyond 2^53 as exact bigints.
          parsed = parseExact(line);
        } catch {
          parsed = undefined;
        }
        // A line that is not a JSON object (malformed, or a bare number or string) is not a Singer message.
        messages.push(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { type: '__NOT_JSON__', line });
      }
      resolve({
        code,
        signal,
        stdout,
        stderr,
        messages,
        states: messages.filter((m) => m.type === 'STATE').map((m) => m.value),
        errLines: stderr.split('\n').filter((line) => line !== ''),
      });
    });
  });
}
