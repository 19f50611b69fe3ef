/**
 * JSON with integers exact at any size. JSON.parse reads every number as a double, so an id such as
 * 9223372036854775807 (a PostgreSQL bigint) or 9007199254740993 comes back rounded, and a stage that writes
 * its record again would change a key: rows merge downstream. Here an integer literal (no fraction, no
 * exponent) beyond Number.MAX_SAFE_INTEGER is a bigint, and is written back digit for digit; every other
 * value is what JSON.parse gives. Such a literal parses to a double beyond MAX_SAFE_INTEGER too, so a
 * value JSON.parse gave without one (nearly every record) is already the exact value, and only the rare
 * rest is read again from its text.
 */

/**
 * Whether a JSON.parse value holds a number beyond ±MAX_SAFE_INTEGER anywhere: then its text may hold an
 * integer literal JSON.parse rounded. Walking the values costs far less than scanning the text.
 */
export function holdsLargeNumber(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'object' || value === null) return false;
  // Deeper than any record goes: read it again rather than recurse further.
  if (depth > 64) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) if (holdsLargeNumber(value[i], depth + 1)) return true;
    return false;
  }
  for (const key in value) if (holdsLargeNumber((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/** A JSON integer literal's value: the number when it is a safe integer, else the exact bigint. */
export function integerLiteral(text: string): number | bigint {
  const x = Number(text);
  return Number.isSafeInteger(x) ? x : BigInt(text);
}

/** Reads text JSON.parse has already accepted; `at` is the cursor. */
class ExactReader {
  at = 0;

  constructor(private readonly text: string) {}

  private skipSpaces(): void {
    const text = this.text;
    for (;;) {
      const code = text.charCodeAt(this.at);
      if (code === 32 || code === 10 || code === 13 || code === 9) this.at += 1;
      else return;
    }
  }

  value(): unknown {
    this.skipSpaces();
    const text = this.text;
    const code = text.charCodeAt(this.at);
    if (code === 123) return this.object();
    if (code === 91) return this.array();
    if (code === 34) return this.string();
    if (code === 116) {
      this.at += 4;
      return true;
    }
    if (code === 102) {
      this.at += 5;
      return false;
    }
    if (code === 110) {
      this.at += 4;
      return null;
    }
    return this.number();
  }

  private string(): string {
    const text = this.text;
    const start = this.at;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const code = text.charCodeAt(i);
      if (code === 34) break;
      if (code === 92) {
        escaped = true;
        i += 2;
      } else i += 1;
    }
    this.at = i + 1;
    return escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
  }

  private number(): number | bigint {
    const text = this.text;
    const start = this.at;
    let i = start;
    let integer = true;
    for (;;) {
      const code = text.charCodeAt(i);
      if ((code >= 48 && code <= 57) || code === 45) i += 1;
      else if (code === 46 || code === 101 || code === 69 || code === 43) {
        integer = false;
        i += 1;
      } else break;
    }
    this.at = i;
    const literal = text.slice(start, i);
    return integer ? integerLiteral(literal) : Number(literal);
  }

  private array(): unknown[] {
    const items: unknown[] = [];
    this.at += 1;
    this.skipSpaces();
    if (this.text.charCodeAt(this.at) === 93) {
      this.at += 1;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.skipSpaces();
      const code = this.text.charCodeAt(this.at);
      this.at += 1;
      if (code === 93) return items;
    }
  }

  private object(): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.at += 1;
    this.skipSpaces();
    if (this.text.charCodeAt(this.at) === 125) {
      this.at += 1;
      return object;
    }
    for (;;) {
      this.skipSpaces();
      const key = this.string();
      this.skipSpaces();
      this.at += 1; // the colon
      const value = this.value();
      // As JSON.parse: an own property even for `__proto__`, the last of repeated keys winning.
      if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
      else object[key] = value;
      this.skipSpaces();
      const code = this.text.charCodeAt(this.at);
      this.at += 1;
      if (code === 125) return object;
    }
  }
}

/**
 * JSON.parse, but with integer literals beyond 2^53 as exact bigints. Malformed text throws JSON.parse's
 * own error.
 */
export function parseExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return holdsLargeNumber(value) ? readExact(text) : value;
}

/** parseExact of text JSON.parse has already accepted (it is not checked again). */
export function readExact(text: string): unknown {
  return new ExactReader(text).value();
}

/** Whether a value JSON.parse-shaped (or parseExact-shaped) holds a bigint anywhere. */
export function holdsBigInt(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsBigInt);
  for (const key in value) if (holdsBigInt((value as Record<string, unknown>)[key])) return true;
  return false;
}

/**
 * `value` with every bigint in it replaced by `replace(bigint)`. Objects and arrays that hold none are the
 * same objects, not copies; those that do are shallow copies with their keys in the same order.
 */
export function replaceBigInts(value: unknown, replace: (integer: bigint) => unknown): unknown {
  if (typeof value === 'bigint') return replace(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const next = replaceBigInts(value[i], replace);
      if (next !== value[i]) (copy ??= value.slice())[i] = next;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const next = replaceBigInts(item, replace);
    // Spread and defineProperty keep a `__proto__` key an own property, as JSON.parse made it.
    if (next !== item) Object.defineProperty((copy ??= { ...value }), key, { value: next, writable: true, enumerable: true, configurable: true });
  }
  return copy ?? value;
}

/**
 * JSON.stringify(value, null, space) by hand, for values holding bigints: they are written as their digits.
 * `indent` is the current line's indentation (with `space` '' everything is on one line).
 */
function encode(value: unknown, inArray: boolean, space: string, indent: string): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return encode((value as { toJSON(): unknown }).toJSON(), inArray, space, indent);
      const inner = indent + space;
      const parts: string[] = [];
      if (Array.isArray(value)) {
        for (const item of value) parts.push(encode(item, true, space, inner) as string);
      } else {
        for (const key of Object.keys(value)) {
          const text = encode((value as Record<string, unknown>)[key], false, space, inner);
          if (text !== undefined) parts.push(`${JSON.stringify(key)}:${space === '' ? '' : ' '}${text}`);
        }
      }
      const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
      if (parts.length === 0) return open + close;
      return space === '' ? `${open}${parts.join(',')}${close}` : `${open}\n${inner}${parts.join(`,\n${inner}`)}\n${indent}${close}`;
    }
    default: {
      const text = JSON.stringify(value);
      return text === undefined && inArray ? 'null' : text;
    }
  }
}

/** JSON.stringify(value, null, space), writing bigints as their exact digits. */
function stringifyWith(value: unknown, space: string): string {
  try {
    return space === '' ? JSON.stringify(value) : JSON.stringify(value, null, space);
  } catch (error) {
    // JSON.stringify refuses bigints (a TypeError); anything else it throws is not ours to hide.
    if (!(error instanceof TypeError) || !holdsBigInt(value)) throw error;
  }
  return encode(value, false, space, '') ?? 'null';
}

/** JSON.stringify (compact), writing bigints as their exact digits. */
export function stringifyExact(value: unknown): string {
  return stringifyWith(value, '');
}

/** JSON.stringify(value, null, 2), writing bigints as their exact digits. */
export function stringifyExactPretty(value: unknown): string {
  return stringifyWith(value, '  ');
}
