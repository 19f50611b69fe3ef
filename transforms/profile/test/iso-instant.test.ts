import { describe, expect, it } from 'vitest';
import { Mulberry32, parseDateLike } from '@tapline/transform-core';
import { isoInstant } from '../src/stream-profiler.js';

describe('isoInstant', () => {
  it('reads what parseDateLike reads, or leaves the text to it', () => {
    const random = new Mulberry32(3);
    const two = (n: number): string => String(n).padStart(2, '0');
    const texts = ['2020-02-29', '2021-02-29', '1900-02-29', '2000-02-29', '0099-01-01', '0100-03-01', '9999-12-31T23:59:60.999Z', '2020-01-01T24:00:00Z',
      '2020-01-01T00:60:00Z', '2020-01-01T00:00:61Z', '2020-13-01', '2020-00-10', '2020-01-00', '2020-1-01', '2020/01/01', '2020-01-01T00:00:00',
      '2020-01-01t00:00:00Z', '2020-01-01T00:00:00.5Z', '2020-01-01T00:00:00,123Z', '2020-01-01T00:00:00+01:00', 'x020-01-01', '2020-01-01 00:00:00Z'];
    for (let n = 0; n < 5000; n += 1) {
      const date = `${String(random.nextInt(3000)).padStart(4, '0')}-${two(random.nextInt(14))}-${two(random.nextInt(33))}`;
      const time = `${two(random.nextInt(26))}:${two(random.nextInt(62))}:${two(random.nextInt(62))}`;
      texts.push(date, `${date}T${time}Z`, `${date}T${time}.${String(random.nextInt(1000)).padStart(3, '0')}Z`);
    }
    let read = 0;
    for (const text of texts) {
      const instant = isoInstant(text);
      if (instant === undefined) continue;
      read += 1;
      expect(instant, text).toBe(parseDateLike(text));
    }
    expect(read).toBeGreaterThan(10000);
  });
});
