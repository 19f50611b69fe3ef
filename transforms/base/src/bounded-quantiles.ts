/**
 * Quantiles (the median, quartiles) of a stream in bounded memory: exact while the values fit under a
 * limit, then a KLL sketch. Exact results on data that fits; beyond the limit the rank error is at most
 * `QuantileSketch.rankErrorBound()` (1.65% of the count for all quantiles at once, 99% confidence, k = 200).
 */
import { ExactQuantiles, QuantileSketch, type ExactQuantilesState, type QuantileSketchState } from '@tapline/transform-core';

/** Values kept exactly before switching to the sketch: 8 MB of doubles per column. */
export const EXACT_QUANTILE_LIMIT = 1_000_000;

export type BoundedQuantilesState = ExactQuantilesState | QuantileSketchState;

export class BoundedQuantiles {
  private exact: ExactQuantiles | undefined = new ExactQuantiles();
  private sketch: QuantileSketch | undefined;

  constructor(private readonly limit = EXACT_QUANTILE_LIMIT) {}

  add(x: number): void {
    if (this.exact) {
      this.exact.add(x);
      if (this.exact.count > this.limit) this.switchToSketch();
    } else {
      (this.sketch as QuantileSketch).add(x);
    }
  }

  private switchToSketch(): void {
    const sketch = new QuantileSketch(QuantileSketch.DEFAULT_K, 0);
    for (const x of (this.exact as ExactQuantiles).toJSON().values) sketch.add(x);
    this.sketch = sketch;
    this.exact = undefined;
  }

  get count(): number {
    return this.exact ? this.exact.count : (this.sketch as QuantileSketch).count;
  }

  /** Whether results are exact (false once the sketch took over). */
  get isExact(): boolean {
    return this.exact !== undefined;
  }

  get median(): number {
    return this.exact ? this.exact.median : (this.sketch as QuantileSketch).quantile(0.5);
  }

  /** numpy's linear quantile while exact; the sketch's estimate after. */
  quantile(q: number): number {
    return this.exact ? this.exact.quantile(q) : (this.sketch as QuantileSketch).quantile(q);
  }
}
