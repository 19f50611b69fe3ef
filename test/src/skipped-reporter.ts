/**
 * A vitest reporter that ends the run with the suites it skipped and why. Every suite that needs a server
 * or tool this machine may lack says so in its title, `... (SKIPPED: set TAPLINE_TEST_POSTGRES_URL ...)`,
 * but the default reporter shows skipped files only as counts: this names them, once each.
 */
import type { Reporter } from 'vitest/reporters';

interface Task {
  name: string;
  mode: string;
  tasks?: Task[];
}

function skippedTitles(tasks: readonly Task[], found: Set<string>): void {
  for (const task of tasks) {
    if (task.mode === 'skip' && task.name.includes('SKIPPED')) {
      found.add(task.name);
      continue; // its tests say nothing more
    }
    if (task.tasks) skippedTitles(task.tasks, found);
  }
}

export default class SkippedSuitesReporter implements Reporter {
  onFinished(files: readonly Task[] = []): void {
    const found = new Set<string>();
    skippedTitles(files, found);
    if (found.size === 0) return;
    const lines = [...found].sort().map((title) => `  - ${title}`);
    process.stdout.write(`\nSkipped suites (${found.size}), each saying what it needs:\n${lines.join('\n')}\n`);
  }
}
