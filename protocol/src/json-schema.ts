/** The subset of JSON Schema that Singer streams and config schemas use, loosely typed on purpose. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  required?: string[];
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  multipleOf?: number;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
  description?: string;
  default?: unknown;
  /** Tapline and Meltano SDK: a config field whose value must never be printed. */
  secret?: boolean;
  writeOnly?: boolean;
  [keyword: string]: unknown;
}

/** The JSON types a schema allows, as a set-like list (`type` may be a string or a list). */
export function schemaTypes(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === 'string') return [schema.type];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return [...new Set(branches.flatMap(schemaTypes))];
  return [];
}
