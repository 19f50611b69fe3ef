/**
 * The CLI contract every Tapline program shares (--help, --version, --about, config errors), checked
 * by running the program's bin exactly as a user or an orchestrator would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from './run-program.js';

export interface ProgramRegistration {
  name: string;
  bin: string;
  kind: 'tap' | 'target' | 'transform';
}

export function describeProgramConformance(program: ProgramRegistration): void {
  describe(`${program.name} CLI contract`, () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tapline-cli-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('--about prints name, version, capabilities and the config schema as JSON', async () => {
      const run = await runProgram(program.bin, { args: ['--about'] });
      expect(run.code, run.stderr).toBe(0);
      const about = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(about.name).toBe(program.name);
      expect(about.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(about.kind).toBe(program.kind);
      expect(Array.isArray(about.capabilities)).toBe(true);
      expect((about.settings as { type?: string }).type).toBe('object');
      expect(Array.isArray(about.secret_settings)).toBe(true);
      const markdown = await runProgram(program.bin, { args: ['--about', '--format', 'markdown'] });
      expect(markdown.stdout).toContain(`# ${program.name}`);
    });

    it('--help and --version exit 0', async () => {
      const help = await runProgram(program.bin, { args: ['--help'] });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: ${program.name}`);
      const version = await runProgram(program.bin, { args: ['--version'] });
      expect(version.stdout.trim()).toMatch(new RegExp(`^${program.name} \\d+\\.\\d+\\.\\d+`));
    });

    it('an unknown flag is one configuration error line, exit 2', async () => {
      const run = await runProgram(program.bin, { args: ['--no-such-flag'] });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errLines).toHaveLength(1);
      expect(run.errLines[0]).toMatch(/configuration error: .*--no-such-flag.*--help/);
    });

    it('a missing config file and a misspelt key are configuration errors that say where', async () => {
      const missing = await runProgram(program.bin, { args: ['--config', join(dir, 'nope.json')] });
      expect(missing.code).toBe(2);
      expect(missing.errLines.at(-1)).toContain('nope.json');
      const configPath = join(dir, 'typo.yml');
      await writeFile(configPath, 'validate_recordz: true\n');
      const typo = await runProgram(program.bin, { args: ['--config', configPath] });
      expect(typo.code).toBe(2);
      expect(typo.errLines.at(-1)).toMatch(/validate_recordz/);
    });
  });
}
