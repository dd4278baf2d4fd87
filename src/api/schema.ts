// A small builder for the structural OpenAPI v3 schemas the apiserver accepts in CRDs, whose
// results also carry the TypeScript type of the values they accept (`Static<typeof schema>`).
// Every field of the API is written once with these helpers: the CRDs are rendered from the
// schemas and the rest of the code reads the inferred types, so the two cannot drift apart.
//
// There is deliberately no way to express `default`: defaults are applied in code, because a
// schema default is written into the user's object and GitOps tools then report drift.
//
// The static type is a phantom: it exists only for the type checker, and the objects built here
// are plain JSON. That keeps this module free of dependencies, so the operator can load the API
// definitions (for a constant such as VAULT_AUTH_METHODS) at the cost of a few functions.

export interface CelRule {
  rule: string;
  message: string;
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'boolean';

/** A node of a structural schema, as written into the CRD. */
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

// Never set at run time: the key only exists in the type system.
declare const staticType: unique symbol;

/** A schema whose accepted values have the TypeScript type T. */
export interface Typed<T> extends Schema {
  readonly [staticType]?: T;
}

/** The TypeScript type of the values a schema accepts. */
export type Static<S> = S extends Typed<infer T> ? T : never;

type Props = Record<string, Typed<unknown>>;

// Flattens an intersection so the inferred types read (and compare) like written interfaces.
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The type of an object node: every field optional (objects come from the apiserver and
 * anything may be absent, whatever the schema requires) except those listed in `always`.
 */
export type ObjectStatic<P extends Props, A extends keyof P = never> = Simplify<
  { [K in Exclude<keyof P, A>]?: Static<P[K]> } & { [K in A]: Static<P[K]> }
>;

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

export interface ObjOpts<K extends string, A extends K> extends Opts {
  /** Fields the apiserver requires (the schema's `required`); the type keeps them optional. */
  required?: readonly K[];
  /**
   * Fields the type declares always present: those the operator itself always writes, or
   * that the code may rely on because the schema requires them. The schema is not affected.
   */
  always?: readonly A[];
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
function node<T>(desc: string | undefined, body: Schema, rules: CelRule[] | undefined): Typed<T> {
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

/**
 * A string. T narrows the static type where the code knows more than the schema says, e.g.
 * a status field only the operator writes: `str<'True' | 'False' | 'Unknown'>()`.
 */
export function str<T extends string = string>(opts: StrOpts = {}): Typed<T> {
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

export function enumStr<const V extends readonly string[]>(values: V, opts: Opts = {}): Typed<V[number]> {
  if (values.length === 0) throw new Error('enumStr needs at least one value');
  return node(opts.desc, { type: 'string', enum: [...values] }, opts.rules);
}

export function int(opts: IntOpts = {}): Typed<number> {
  return node(
    opts.desc,
    { type: 'integer', format: opts.format, minimum: opts.minimum, maximum: opts.maximum },
    opts.rules,
  );
}

export function bool(opts: Opts = {}): Typed<boolean> {
  return node(opts.desc, { type: 'boolean' }, opts.rules);
}

/** An integer or a string (e.g. seconds or a Go duration); structural schemas forbid `type` here. */
export function intOrStr(opts: Opts = {}): Typed<number | string> {
  return node(opts.desc, { 'x-kubernetes-int-or-string': true }, opts.rules);
}

export function obj<P extends Props, A extends keyof P & string = never>(
  properties: P,
  opts: ObjOpts<keyof P & string, A> = {},
): Typed<ObjectStatic<P, A>> {
  for (const name of [...(opts.required ?? []), ...(opts.always ?? [])]) {
    if (!Object.hasOwn(properties, name)) throw new Error(`field "${name}" is not a property`);
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
export function opaque(opts: Opts = {}): Typed<Record<string, unknown>> {
  return node(opts.desc, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, opts.rules);
}

/** Any JSON value (an object, a string, ...), kept as written; its consumer validates it. */
export function anyJson(opts: Opts = {}): Typed<unknown> {
  return node(opts.desc, { 'x-kubernetes-preserve-unknown-fields': true }, opts.rules);
}

export function arr<S extends Typed<unknown>>(items: S, opts: ArrOpts = {}): Typed<Static<S>[]> {
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
export function map<S extends Typed<unknown>>(values: S, opts: Opts = {}): Typed<Record<string, Static<S>>> {
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
