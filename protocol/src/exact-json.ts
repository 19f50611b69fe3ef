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

function encode(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return encode((value as { toJSON(): unknown }).toJSON(), inArray);
      if (Array.isArray(value)) return `[${value.map((item) => encode(item, true)).join(',')}]`;
      const members: string[] = [];
      for (const key of Object.keys(value)) {
        const text = encode((value as Record<string, unknown>)[key], false);
        if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
      }
      return `{${members.join(',')}}`;
    }
    default: {
      const text = JSON.stringify(value);
      return text === undefined && inArray ? 'null' : text;
    }
  }
}

/** JSON.stringify(value, null, 2), writing bigints as their exact digits. */
export function stringifyExactPretty(value: unknown, indent = ''): string | undefined {
  if (indent === '' && !holdsBigInt(value)) return JSON.stringify(value, null, 2);
  if (typeof value !== 'object' || value === null) return stringifyExact(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return stringifyExactPretty((value as { toJSON(): unknown }).toJSON(), indent);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${inner}${stringifyExactPretty(item, inner) ?? 'null'}`).join(',\n')}\n${indent}]`;
  }
  const members: string[] = [];
  for (const key of Object.keys(value)) {
    const text = stringifyExactPretty((value as Record<string, unknown>)[key], inner);
    if (text !== undefined) members.push(`${inner}${JSON.stringify(key)}: ${text}`);
  }
  return members.length === 0 ? '{}' : `{\n${members.join(',\n')}\n${indent}}`;
}

/** JSON.stringify (compact), writing bigints as their exact digits. */
export function stringifyExact(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    // JSON.stringify refuses bigints (a TypeError); anything else it throws is not ours to hide.
    if (!(error instanceof TypeError) || !holdsBigInt(value)) throw error;
  }
  return encode(value, false) ?? 'null';
}
