/**
 * Meta-tests that keep the conventions true as the suite grows: every program package has the binary
 * its folder promises, registers with the conformance suite, and is named in the README.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface PackageJson {
  name: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const KINDS = [
  ['taps', 'tap'],
  ['targets', 'target'],
  ['transforms', 'transform'],
] as const;

const programs: { dir: string; kind: string; pkg: PackageJson; path: string }[] = [];
for (const [folder, kind] of KINDS) {
  const base = join(root, folder);
  if (!existsSync(base)) continue;
  for (const dir of readdirSync(base)) {
    const path = join(base, dir);
    const pkgPath = join(path, 'package.json');
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as PackageJson;
    if (pkg.bin) programs.push({ dir, kind, pkg, path });
  }
}

describe('package conventions', () => {
  it('finds the program packages', () => {
    expect(programs.length).toBeGreaterThan(0);
  });

  for (const { dir, kind, pkg, path } of programs) {
    describe(pkg.name, () => {
      it(`is @tapline/${kind}-${dir} with the binary ${kind}-${dir}`, () => {
        expect(pkg.name).toBe(`@tapline/${kind}-${dir}`);
        expect(Object.keys(pkg.bin ?? {})).toEqual([`${kind}-${dir}`]);
        expect(existsSync(join(path, pkg.bin![`${kind}-${dir}`]!))).toBe(true);
      });

      it('keeps its config schema in src/<name>-config.ts and registers with the conformance suite', () => {
        expect(existsSync(join(path, 'src', `${dir}-config.ts`))).toBe(true);
        const tests = existsSync(join(path, 'test')) ? readdirSync(join(path, 'test')).filter((file) => file.endsWith('.ts')) : [];
        const registered = tests.some((file) => {
          const text = readFileSync(join(path, 'test', file), 'utf8');
          return /describe(Target|Tap|Transform|Program)Conformance\(/.test(text);
        });
        expect(registered).toBe(true);
      });

      it('is in the README', () => {
        expect(readme).toContain(`${kind}-${dir}`);
      });
    });
  }
});

describe('test hygiene', () => {
  it('no test file uses .only', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.test.ts') && /\b(it|describe|test)\.only\(/.test(readFileSync(full, 'utf8'))) offenders.push(full);
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
