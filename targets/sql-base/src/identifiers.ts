import { createHash } from 'node:crypto';

/**
 * The identifier a destination uses for a stream or property name. Names are kept exactly (dialects
 * quote them, so quotes, dots, spaces and unicode all work); a name longer than the dialect allows is cut
 * on a character boundary and given a short hash of the whole name, so two long names that share their
 * first bytes still map to different identifiers, and the same name always maps to the same one.
 */
export function identifierFor(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name, 'utf8') <= maxBytes) return name;
  const suffix = `_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  const budget = maxBytes - suffix.length;
  let prefix = '';
  let bytes = 0;
  for (const char of name) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > budget) break;
    prefix += char;
    bytes += size;
  }
  return prefix + suffix;
}
