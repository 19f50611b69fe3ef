/** Deep merge of config layers: plain objects merge key by key, everything else (arrays too) is replaced. */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Set an own property. Plain assignment of a `__proto__` key (JSON.parse makes those own properties)
 * would replace the prototype instead, so a config file could never pollute anything through a merge.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `later` wins. Neither input is modified; the result shares no plain object with them. */
export function deepMerge(earlier: Record<string, unknown>, later: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(earlier)) setOwn(result, key, isPlainObject(value) ? deepMerge({}, value) : value);
  for (const [key, value] of Object.entries(later)) {
    const current = result[key];
    if (isPlainObject(value)) {
      setOwn(result, key, deepMerge(isPlainObject(current) && Object.hasOwn(result, key) ? current : {}, value));
    } else {
      setOwn(result, key, value);
    }
  }
  return result;
}
