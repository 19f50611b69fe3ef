/**
 * A seeded reservoir sample of a stream's RECORD lines, kept as their UTF-8 bytes (Algorithm R: row n
 * replaces slot nextInt(n) when that is below the sample size, so the same input and seed keep the same
 * lines).
 *
 * Bytes rather than parsed records: 100,000 parsed rows in the heap make every garbage collection walk
 * them, and a sliced line would keep its whole input chunk alive. The lines live in blocks of
 * BLOCK_BYTES, and where each slot's line is (block, offset, room, length) in typed arrays: no object per
 * slot for the collector to walk, and a replacement touches a few numbers and the bytes it writes. A slot's
 * room is reused by the lines that replace its line when they fit, so a long stream makes no garbage here.
 */
import type { Mulberry32 } from '@tapline/transform-core';

const BLOCK_BYTES = 1 << 20;
/** Slot metadata grows by doubling up to the sample size (a small sample_size allocates little). */
const FIRST_SLOTS = 1024;

export class LineSample {
  private readonly blocks: Buffer[] = [];
  private blockUsed = 0;
  private slotBlock = new Int32Array(0);
  private slotOffset = new Int32Array(0);
  private slotRoom = new Int32Array(0);
  private slotLength = new Int32Array(0);
  private used = 0;
  private longest = 0;
  /** Set by release(). */
  released = false;
  /** Bytes of all blocks, and of the rooms of the lines held. */
  private blockBytes = 0;
  private roomBytes = 0;

  constructor(
    readonly size: number,
    private readonly random: Mulberry32,
  ) {}

  /** Lines held: every row offered while there were fewer than `size`. */
  get length(): number {
    return this.used;
  }

  /** Offer row number `row` (1-based), the line at [start, end) of `bytes`. */
  offer(row: number, bytes: Buffer, start: number, end: number): void {
    let slot = this.used;
    if (slot >= this.size) {
      slot = this.random.nextInt(row);
      if (slot >= this.size) return;
    } else {
      if (slot === this.slotLength.length) this.growSlots();
      this.used += 1;
    }
    const length = end - start;
    if (length > this.longest) this.longest = length;
    // A new slot has no room yet (0).
    if ((this.slotRoom[slot] as number) < length) {
      // Room for the longest line so far (up to twice this one), so the lines that replace this one fit
      // and rooms are rarely left behind unused.
      const room = Math.max(length, Math.min(this.longest, 2 * length));
      this.makeRoom(slot, room + 32 - (room % 32));
    }
    bytes.copy(this.blocks[this.slotBlock[slot] as number] as Buffer, this.slotOffset[slot] as number, start, end);
    this.slotLength[slot] = length;
  }

  /** Calls `visit` with each held line's block and where the line is in it, slot by slot. */
  forEach(visit: (block: Buffer, start: number, end: number) => void): void {
    for (let slot = 0; slot < this.used; slot += 1) {
      const offset = this.slotOffset[slot] as number;
      visit(this.blocks[this.slotBlock[slot] as number] as Buffer, offset, offset + (this.slotLength[slot] as number));
    }
  }

  /** Drops the lines (their memory can go); the sample must not be offered more afterwards. */
  release(): void {
    this.blocks.length = 0;
    this.slotBlock = new Int32Array(0);
    this.slotOffset = new Int32Array(0);
    this.slotRoom = new Int32Array(0);
    this.slotLength = new Int32Array(0);
    this.used = 0;
    this.released = true;
  }

  private makeRoom(slot: number, size: number): void {
    this.roomBytes -= this.slotRoom[slot] as number;
    this.slotRoom[slot] = 0;
    // Rooms left behind are garbage inside the blocks: once they are most of them, move the lines held
    // into new blocks, so memory stays within twice what the sample needs however long the stream.
    if (this.blockBytes > 2 * this.roomBytes + 2 * BLOCK_BYTES) this.compact();
    let block = this.blocks.length - 1;
    if (block < 0 || this.blockUsed + size > (this.blocks[block] as Buffer).length) {
      const bytes = Math.max(BLOCK_BYTES, size);
      this.blocks.push(Buffer.allocUnsafeSlow(bytes));
      this.blockBytes += bytes;
      this.blockUsed = 0;
      block += 1;
    }
    this.slotBlock[slot] = block;
    this.slotOffset[slot] = this.blockUsed;
    this.slotRoom[slot] = size;
    this.roomBytes += size;
    this.blockUsed += size;
  }

  private compact(): void {
    const blocks = this.blocks.splice(0);
    this.blockBytes = 0;
    this.blockUsed = 0;
    for (let slot = 0; slot < this.used; slot += 1) {
      const room = this.slotRoom[slot] as number;
      if (room === 0) continue; // the slot being placed
      const from = blocks[this.slotBlock[slot] as number] as Buffer;
      const offset = this.slotOffset[slot] as number;
      this.makeRoom(slot, room);
      from.copy(this.blocks[this.slotBlock[slot] as number] as Buffer, this.slotOffset[slot] as number, offset, offset + (this.slotLength[slot] as number));
    }
  }

  private growSlots(): void {
    const slots = Math.min(this.size, Math.max(FIRST_SLOTS, 2 * this.slotLength.length));
    const grown = (from: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const to = new Int32Array(slots);
      to.set(from);
      return to;
    };
    this.slotBlock = grown(this.slotBlock);
    this.slotOffset = grown(this.slotOffset);
    this.slotRoom = grown(this.slotRoom);
    this.slotLength = grown(this.slotLength);
  }
}
