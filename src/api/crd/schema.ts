// A small builder for the structural OpenAPI v3 schemas the apiserver accepts in CRDs.
// Every field of the API is written once with these helpers; the CRD definitions reuse the
// resulting objects for both served versions.
//
// There is deliberately no way to express `default`: defaults are applied in code, because a
// schema default is written into the user's object and GitOps tools then report drift.

export interface CelRule {
  rule: string;
  message: string;
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'boolean';

export interface Schema {
  description?: string;
  type?: SchemaType;
  format?: string;
  enum?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-validations'?: CelRule[];
}

export interface Opts {
  desc?: string;
  /** CEL rules evaluated with `self` bound to this node. */
  rules?: CelRule[];
}

export interface StrOpts extends Opts {
  format?: 'byte' | 'date-time';
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
}

export interface IntOpts extends Opts {
  format?: 'int32' | 'int64';
  minimum?: number;
  maximum?: number;
}

export interface ObjOpts extends Opts {
  required?: string[];
  /** Keep fields the schema does not list (the apiserver prunes them otherwise). */
  preserveUnknown?: boolean;
  mapType?: 'atomic';
}

export interface ArrOpts extends Opts {
  minItems?: number;
  maxItems?: number;
  listType?: 'atomic' | 'set';
}

// Puts keys in one fixed order (description first, CEL last) so the generated YAML reads
// the same way everywhere and diffs stay small.
function node(desc: string | undefined, body: Schema, rules: CelRule[] | undefined): Schema {
  const out: Schema = {};
  if (desc) out.description = desc;
  Object.assign(out, body);
  for (const key of Object.keys(out) as (keyof Schema)[]) {
    if (out[key] === undefined) delete out[key];
  }
  if (rules && rules.length > 0) out['x-kubernetes-validations'] = rules;
  return out;
}

export function rule(celRule: string, message: string): CelRule {
  return { rule: celRule, message };
}

export function str(opts: StrOpts = {}): Schema {
  return node(
    opts.desc,
    {
      type: 'string',
      format: opts.format,
      pattern: opts.pattern,
      minLength: opts.minLength,
      maxLength: opts.maxLength,
      nullable: opts.nullable,
    },
    opts.rules,
  );
}

export function enumStr(values: readonly string[], opts: Opts = {}): Schema {
  if (values.length === 0) throw new Error('enumStr needs at least one value');
  return node(opts.desc, { type: 'string', enum: [...values] }, opts.rules);
}

export function int(opts: IntOpts = {}): Schema {
  return node(
    opts.desc,
    { type: 'integer', format: opts.format, minimum: opts.minimum, maximum: opts.maximum },
    opts.rules,
  );
}

export function bool(opts: Opts = {}): Schema {
  return node(opts.desc, { type: 'boolean' }, opts.rules);
}

/** An integer or a string (e.g. seconds or a Go duration); structural schemas forbid `type` here. */
export function intOrStr(opts: Opts = {}): Schema {
  return node(opts.desc, { 'x-kubernetes-int-or-string': true }, opts.rules);
}

export function obj(properties: Record<string, Schema>, opts: ObjOpts = {}): Schema {
  for (const name of opts.required ?? []) {
    if (!(name in properties)) throw new Error(`required field "${name}" is not a property`);
  }
  return node(
    opts.desc,
    {
      type: 'object',
      properties,
      required: opts.required && opts.required.length > 0 ? [...opts.required] : undefined,
      'x-kubernetes-preserve-unknown-fields': opts.preserveUnknown ? true : undefined,
      'x-kubernetes-map-type': opts.mapType,
    },
    opts.rules,
  );
}

/** An object whose content is not described (kept as written, not validated). */
export function opaque(opts: Opts = {}): Schema {
  return node(opts.desc, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, opts.rules);
}

export function arr(items: Schema, opts: ArrOpts = {}): Schema {
  return node(
    opts.desc,
    {
      type: 'array',
      items,
      minItems: opts.minItems,
      maxItems: opts.maxItems,
      'x-kubernetes-list-type': opts.listType,
    },
    opts.rules,
  );
}

/** A string-keyed map (`additionalProperties`), e.g. labels or `template.data`. */
export function map(values: Schema = str(), opts: Opts = {}): Schema {
  return node(opts.desc, { type: 'object', additionalProperties: values }, opts.rules);
}

// ---- CEL helpers over optional fields of the node the rule sits on ----

function countSet(fields: readonly string[]): string {
  return fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ');
}

export function exactlyOne(fields: readonly string[], message: string): CelRule {
  return rule(`${countSet(fields)} == 1`, message);
}

export function atLeastOne(fields: readonly string[], message: string): CelRule {
  return rule(fields.map((f) => `has(self.${f})`).join(' || '), message);
}
