/**
 * transform-profile: passes every line through exactly as read and, when the input ends, writes a JSON
 * and an HTML report per profiled stream. Lines are written before they are profiled and STATE is never
 * held back, so the stage adds no latency to a pipeline's bookmarks; RECORD lines of streams that are not
 * profiled are never parsed, and those of profiled streams are read from their bytes (see
 * profiling-pass-through.ts).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigurationError, readLineChunks, stringifyExactPretty, type ProgramDefinition } from '@tapline/protocol';
import { STAGE_HEAP_GROWING_PERCENT } from '@tapline/transform-base';
import { renderHtmlReport } from './html-report.js';
import { profileConfigSchema, type ProfileConfig } from './profile-config.js';
import { ProfilingPassThrough } from './profiling-pass-through.js';
import { StreamProfiler } from './stream-profiler.js';

/** A stream name as a file name: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export function reportFileStem(stream: string): string {
  const safe = stream.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return safe === '' ? '_' : safe;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  // A reader (or a browser refresh) never sees half a report.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

export const profileTransform: ProgramDefinition<ProfileConfig> = {
  name: 'transform-profile',
  version: '0.1.0',
  kind: 'transform',
  description: 'Passes Singer messages through unchanged and writes a JSON and an HTML profile (types, statistics, charts) per stream',
  configSchema: profileConfigSchema,
  capabilities: [],
  heapGrowingPercent: STAGE_HEAP_GROWING_PERCENT,

  async run({ config, input, output, logger }) {
    const selected = config.streams === undefined ? undefined : new Set(config.streams);
    const outputDir = resolve(config.output_dir);
    try {
      await mkdir(outputDir, { recursive: true });
    } catch (error) {
      throw new ConfigurationError(`cannot create output_dir ${outputDir}: ${(error as Error).message}`, {
        cause: error,
        hint: 'Set output_dir to a folder this user can write',
      });
    }
    const profilers = new Map<string, StreamProfiler>();
    const options = { sampleSize: config.sample_size, seed: config.seed, trackedValues: config.max_tracked_values };
    const profilerFor = (stream: string): StreamProfiler | undefined => {
      let profiler = profilers.get(stream);
      if (profiler === undefined && (selected === undefined || selected.has(stream))) {
        profiler = new StreamProfiler(stream, options);
        profilers.set(stream, profiler);
      }
      return profiler;
    };

    const passThrough = new ProfilingPassThrough(output, profilerFor);
    for await (const { buffer, firstLine } of readLineChunks(input)) {
      if (!passThrough.passLines(buffer, firstLine)) await output.drain();
    }
    await output.drain();

    const stems = new Map<string, string>();
    for (const profiler of profilers.values()) {
      let stem = reportFileStem(profiler.stream);
      // Two names that make the same file name (`a/b`, `a_b`) must not overwrite each other.
      for (let n = 2; [...stems.values()].includes(stem); n += 1) stem = `${reportFileStem(profiler.stream)}_${n}`;
      stems.set(profiler.stream, stem);
      const profile = profiler.profile();
      const jsonPath = join(outputDir, `${stem}.json`);
      const htmlPath = join(outputDir, `${stem}.html`);
      // Values of integers beyond 2^53 (top values, mode) with every digit.
      await writeAtomically(jsonPath, `${stringifyExactPretty(profile)}\n`);
      await writeAtomically(htmlPath, renderHtmlReport(profile));
      logger.info(
        `profiled ${profile.stream}: ${profile.dataset.row_count} rows, ${profile.dataset.column_count} columns, ` +
          `${profile.exact ? 'exact' : `sampled ${profile.sample_rows} rows`}; wrote ${jsonPath} and ${htmlPath}`,
      );
    }
    for (const stream of selected ?? []) {
      if (!profilers.has(stream)) logger.warn(`stream "${stream}" is listed in streams but never appeared in the input`);
    }
  },
};
