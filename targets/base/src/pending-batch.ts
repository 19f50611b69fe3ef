/**
 * The records of a stream waiting for their batch to be committed. By default each is kept as a
 * PendingRecord (and a scanned one keeps the input buffer it was read from); a sink may keep them its
 * own way instead (`StreamSink.newBatch`), for instance already encoded in its load format, so that
 * nothing per record outlives its line.
 */
import type { RecordCodec } from '@tapline/protocol';
import { ScannedPendingRecord, type PendingRecord } from './target-driver.js';

/** Records in arrival order (so sequence numbers increase), with what the runtime needs to salvage them. */
export interface PendingBatch {
  readonly length: number;
  /** A record read the usual way (parsed and validated). */
  add(record: PendingRecord): void;
  /**
   * A record located and checked by `codec`, its values' positions at `codec.spans[base...]`. The bytes
   * and spans are reused once this returns: whatever the batch keeps of them, it copies.
   */
  addScanned(codec: RecordCodec, base: number, bytes: Buffer, start: number, end: number, receivedAt: number, line: number, sequence: number): void;
  lineAt(index: number): number;
  sequenceAt(index: number): number;
  /** Keep only the first `length` records. */
  truncate(length: number): void;
  /** Add the records of `later`, a batch of the same sink that arrived after these. */
  append(later: PendingBatch): void;
  /** What `StreamSink.write` receives in `RecordBatch.records`. */
  records(): PendingRecord[];
}

/** The default batch: a PendingRecord per record. */
export class RecordList implements PendingBatch {
  private readonly list: PendingRecord[] = [];

  get length(): number {
    return this.list.length;
  }

  add(record: PendingRecord): void {
    this.list.push(record);
  }

  addScanned(codec: RecordCodec, base: number, bytes: Buffer, start: number, end: number, receivedAt: number, line: number, sequence: number): void {
    this.list.push(new ScannedPendingRecord(codec, base, bytes, start, end, receivedAt, line, sequence));
  }

  lineAt(index: number): number {
    return (this.list[index] as PendingRecord).line;
  }

  sequenceAt(index: number): number {
    return (this.list[index] as PendingRecord).sequence;
  }

  truncate(length: number): void {
    this.list.length = Math.min(length, this.list.length);
  }

  append(later: PendingBatch): void {
    for (const record of later.records()) this.list.push(record);
  }

  records(): PendingRecord[] {
    return this.list;
  }
}

/** How many of the first records of `batch` have a sequence number of at most `sequence`. */
export function countThrough(batch: PendingBatch, sequence: number): number {
  let count = 0;
  while (count < batch.length && batch.sequenceAt(count) <= sequence) count += 1;
  return count;
}
