import type { JsonSchema } from '@tapline/protocol';

/**
 * A column's value schema that also admits NULL: `null` added to `type`, a branch of its own in an
 * `anyOf`, a value of its own in an `enum`. A schema without `type` (any JSON) already admits it.
 */
export function withNull(schema: JsonSchema): JsonSchema {
  if (schema.anyOf !== undefined) return { ...schema, anyOf: [...schema.anyOf, { type: 'null' }] };
  let withType = schema;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    withType = { ...schema, type: types.includes('null') ? types : ['null', ...types] };
  }
  return Array.isArray(withType.enum) && !withType.enum.includes(null) ? { ...withType, enum: [...withType.enum, null] } : withType;
}

/** What every SQL tap can do (`--about`). */
export const SQL_TAP_CAPABILITIES = ['catalog', 'discover', 'state', 'properties', 'about', 'activate-version'];
