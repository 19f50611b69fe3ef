import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Tests import workspace packages from their TypeScript sources, so unit tests never run against a stale
 * build and every module exists once (an error class from `dist` is not the one from `src`). The programs
 * that tests spawn run from `dist`, which `npm test` builds first.
 */
function workspaceSources(): Record<string, string> {
  const aliases: Record<string, string> = {};
  const root = import.meta.dirname;
  const folders = ['protocol', 'network', 'runner', ...['clients', 'taps', 'targets', 'transforms'].flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((dir) => join(group, dir)) : [])];
  for (const folder of folders) {
    const pkgPath = join(root, folder, 'package.json');
    const entry = join(root, folder, 'src', 'index.ts');
    if (!existsSync(pkgPath) || !existsSync(entry)) continue;
    const { name } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name: string };
    aliases[name] = entry;
  }
  return aliases;
}

export default defineConfig({
  resolve: { alias: workspaceSources() },
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // The default output, then the suites skipped for want of a server or tool, named with what they need.
    reporters: ['default', './test/src/skipped-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
