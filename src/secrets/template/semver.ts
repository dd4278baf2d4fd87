// Sprig's semver and semverCompare, on Masterminds/semver v3.4 semantics (what ESO 2.9 links).
// npm's `semver` differs in the places templates meet: "," joins constraints, "1.2" and
// "v1" are versions (coerced), a bare "1.2" constraint means ~1.2, "!=" exists, and x-ranges and
// pre-release rules follow Masterminds' own code. So this is a port of those rules rather than
// a wrapper around npm's package.

import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { GoObject } from './value.js';
import type { GoMethod } from './value.js';

const MAX_CONSTRAINT = 1024;
const MAX_U64 = (1n << 64n) - 1n;

interface Parts {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
  metadata: string;
  original: string;
}

const LOOSE =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const ALLOWED = /^[0-9A-Za-z-]+$/;

function segment(s: string | undefined): bigint {
  if (!s) return 0n;
  const n = BigInt(s.replace(/^\./, ''));
  if (n > MAX_U64) throw new ExecFailure('error parsing version segment: value out of range');
  return n;
}

function validatePrerelease(p: string): void {
  for (const part of p.split('.')) {
    if (part === '') throw new ExecFailure('invalid prerelease string');
    if (/^[0-9]+$/.test(part)) {
      if (part.length > 1 && part[0] === '0') throw new ExecFailure('version segment starts with 0');
    } else if (!ALLOWED.test(part)) throw new ExecFailure('invalid prerelease string');
  }
}

function validateMetadata(m: string): void {
  for (const part of m.split('.')) if (!ALLOWED.test(part)) throw new ExecFailure('invalid metadata string');
}

/** semver.NewVersion with coercion on (v3.4's default): "1", "v1.2" and "1.2.3-rc.1+b" all parse. */
export function parseVersion(v: string): Parts {
  const m = LOOSE.exec(v);
  if (!m) throw new ExecFailure('invalid semantic version');
  const parts: Parts = {
    major: segment(m[1]),
    minor: segment(m[2]),
    patch: segment(m[3]),
    pre: m[5] ?? '',
    metadata: m[8] ?? '',
    original: v,
  };
  if (parts.pre) validatePrerelease(parts.pre);
  if (parts.metadata) validateMetadata(parts.metadata);
  return parts;
}

function versionString(p: Parts): string {
  return `${p.major}.${p.minor}.${p.patch}${p.pre ? '-' + p.pre : ''}${p.metadata ? '+' + p.metadata : ''}`;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sNum = /^[0-9]+$/.test(s) && BigInt(s) <= MAX_U64;
  const oNum = /^[0-9]+$/.test(o) && BigInt(o) <= MAX_U64;
  if (!sNum && !oNum) return s > o ? 1 : -1;
  if (!oNum) return -1;
  if (!sNum) return 1;
  return BigInt(s) > BigInt(o) ? 1 : -1;
}

function comparePrerelease(v: string, o: string): number {
  const sp = v.split('.');
  const op = o.split('.');
  for (let i = 0; i < Math.max(sp.length, op.length); i++) {
    const d = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

export function compareVersions(v: Parts, o: Parts): number {
  const d = cmp(v.major, o.major) || cmp(v.minor, o.minor) || cmp(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === '' && o.pre === '') return 0;
  if (v.pre === '') return 1;
  if (o.pre === '') return -1;
  return comparePrerelease(v.pre, o.pre);
}

// ---- constraints ----

const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
// RE2's \s: ASCII whitespace only.
const WS = '[\\t\\n\\f\\r ]';
const CONSTRAINT = new RegExp(`^${WS}*(${OPS})${WS}*(${CV})${WS}*$`);
const RANGE = new RegExp(`${WS}*(${CV})${WS}+-${WS}+(${CV})${WS}*`, 'g');
const FIND = new RegExp(`(${OPS})${WS}*(${CV})`, 'g');
const VALID = new RegExp(
  `^(${WS}*(${OPS})${WS}*(${CV})${WS}*)((?:${WS}+|,${WS}*)(${OPS})${WS}*(${CV})${WS}*)*$`,
);

interface Constraint {
  con: Parts;
  op: string;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const isX = (s: string | undefined): boolean => s === 'x' || s === 'X' || s === '*';

function parseConstraint(c: string): Constraint {
  const m = CONSTRAINT.exec(c);
  if (!m) throw new ExecFailure('improper constraint');
  const [, op = '', ver = '', major = '', minorPart = '', patchPart = '', pre = ''] = m;
  let text = ver;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === '') {
    text = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minorPart.replace(/^\./, '')) || minorPart === '') {
    [dirty, minorDirty] = [true, true];
    text = `${major}.0.0${pre}`;
  } else if (isX(patchPart.replace(/^\./, '')) || patchPart === '') {
    [dirty, patchDirty] = [true, true];
    text = `${major}${minorPart}.0${pre}`;
  }
  let con: Parts;
  try {
    con = parseVersion(text);
  } catch {
    throw new ExecFailure('constraint parser error');
  }
  return { con, op, dirty, minorDirty, patchDirty };
}

type Check = (v: Parts, c: Constraint) => boolean;

const tilde: Check = (v, c) => {
  if (compareVersions(v, c.con) < 0) return false;
  const { con } = c;
  if (con.major === 0n && con.minor === 0n && con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== con.major) return false;
  return !(v.minor !== con.minor && !c.minorDirty);
};

const CHECKS: Record<string, Check> = {
  '': (v, c) => (c.dirty ? tilde(v, c) : compareVersions(v, c.con) === 0),
  '!=': (v, c) => {
    if (c.dirty) {
      if (c.con.major !== v.major) return true;
      if (c.con.minor !== v.minor && !c.minorDirty) return true;
      if (c.minorDirty) return false;
      if (c.con.patch !== v.patch && !c.patchDirty) return true;
      if (c.patchDirty) {
        if (v.pre !== '' || c.con.pre !== '') return comparePrerelease(v.pre, c.con.pre) !== 0;
        return false;
      }
    }
    return compareVersions(v, c.con) !== 0;
  },
  '>': (v, c) => {
    if (!c.dirty) return compareVersions(v, c.con) === 1;
    if (v.major > c.con.major) return true;
    if (v.major < c.con.major || c.minorDirty) return false;
    if (c.patchDirty) return v.minor > c.con.minor;
    return compareVersions(v, c.con) === 1;
  },
  '<': (v, c) => compareVersions(v, c.con) < 0,
  '>=': (v, c) => compareVersions(v, c.con) >= 0,
  '<=': (v, c) => {
    if (!c.dirty) return compareVersions(v, c.con) <= 0;
    if (v.major > c.con.major) return false;
    return !(v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty);
  },
  '~': tilde,
  '^': (v, c) => {
    if (compareVersions(v, c.con) < 0) return false;
    const { con } = c;
    if (con.major > 0n || c.minorDirty) return v.major === con.major;
    if (con.major === 0n && v.major > 0n) return false;
    if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
    if (con.minor === 0n && v.minor > 0n) return false;
    return con.patch === v.patch;
  },
};
CHECKS['='] = CHECKS[''] as Check;
CHECKS['=>'] = CHECKS['>='] as Check;
CHECKS['=<'] = CHECKS['<='] as Check;
CHECKS['~>'] = tilde;

interface Group {
  parsed: Constraint[];
  hasPre: boolean;
}

/** semver.NewConstraint. */
export function parseConstraints(constraint: string): Group[] {
  if (constraint.length > MAX_CONSTRAINT) throw new ExecFailure('improper constraint: too long');
  // Runs of whitespace match \s* and \s+ alike; one space each keeps the patterns linear.
  let c = constraint.replace(/[\t\n\f\r ]+/g, ' ');
  c = c.replace(RANGE, (_all, a: string, ...rest: unknown[]) => `>= ${a}, <= ${String(rest[9])} `);
  return c.split('||').map((or) => {
    if (!VALID.test(or)) throw new ExecFailure('improper constraint');
    const parsed = (or.match(FIND) ?? [or]).map(parseConstraint);
    return { parsed, hasPre: parsed.some((p) => p.con.pre !== '') };
  });
}

/** Constraints.Check: some OR group whose every constraint holds; pre-releases only where a group names one. */
export function checkConstraints(groups: Group[], v: Parts): boolean {
  return groups.some(({ parsed, hasPre }) =>
    parsed.every((p) => (v.pre !== '' && !hasPre ? false : (CHECKS[p.op] as Check)(v, p))),
  );
}

/** *semver.Version (or, from IncMajor and friends, a semver.Version value). */
export class SemverVersion extends GoObject {
  readonly goKind: string;
  readonly goType: string;
  constructor(
    readonly v: Parts,
    /** A pointer has the pointer-receiver methods (Compare, Original, LessThan...); a value does not. */
    readonly pointer = true,
  ) {
    super();
    this.goKind = pointer ? 'ptr' : 'struct';
    this.goType = pointer ? '*semver.Version' : 'semver.Version';
  }
  format(): string {
    return versionString(this.v);
  }
  override stringer(): string {
    return versionString(this.v);
  }
  toJSON(): unknown {
    return versionString(this.v);
  }
  override method(name: string): GoMethod | undefined {
    const v = this.v;
    const other = (o: unknown): Parts => {
      if (o instanceof SemverVersion && o.pointer) return o.v;
      throw new ExecFailure('wrong type for value; expected *semver.Version');
    };
    const vPrefix = v.original.startsWith('v') ? 'v' : '';
    const bump = (next: Parts): SemverVersion =>
      new SemverVersion({ ...next, original: vPrefix + versionString(next) }, false);
    const values: Record<string, GoMethod> = {
      String: { fn: () => versionString(v), params: [] },
      Major: { fn: () => Number(v.major), params: [] },
      Minor: { fn: () => Number(v.minor), params: [] },
      Patch: { fn: () => Number(v.patch), params: [] },
      Prerelease: { fn: () => v.pre, params: [] },
      Metadata: { fn: () => v.metadata, params: [] },
      IncMajor: {
        fn: () => bump({ ...v, major: v.major + 1n, minor: 0n, patch: 0n, pre: '', metadata: '' }),
        params: [],
      },
      IncMinor: {
        fn: () => bump({ ...v, minor: v.minor + 1n, patch: 0n, pre: '', metadata: '' }),
        params: [],
      },
      IncPatch: {
        fn: () => bump({ ...v, patch: v.pre ? v.patch : v.patch + 1n, pre: '', metadata: '' }),
        params: [],
      },
      SetPrerelease: {
        fn: (p) => {
          if (p) validatePrerelease(p as string);
          return bump({ ...v, pre: p as string });
        },
        params: ['string'],
      },
      SetMetadata: {
        fn: (m) => {
          if (m) validateMetadata(m as string);
          return bump({ ...v, metadata: m as string });
        },
        params: ['string'],
      },
    };
    const pointers: Record<string, GoMethod> = {
      Original: { fn: () => v.original, params: [] },
      Compare: { fn: (o) => compareVersions(v, other(o)), params: ['any'] },
      LessThan: { fn: (o) => compareVersions(v, other(o)) < 0, params: ['any'] },
      LessThanEqual: { fn: (o) => compareVersions(v, other(o)) <= 0, params: ['any'] },
      GreaterThan: { fn: (o) => compareVersions(v, other(o)) > 0, params: ['any'] },
      GreaterThanEqual: { fn: (o) => compareVersions(v, other(o)) >= 0, params: ['any'] },
      Equal: { fn: (o) => compareVersions(v, other(o)) === 0, params: ['any'] },
    };
    return values[name] ?? (this.pointer ? pointers[name] : undefined);
  }
}

export const SEMVER_FUNCS: Record<string, FuncDef> = {
  semver: { fn: (s) => new SemverVersion(parseVersion(s as string)), params: ['string'] },
  semverCompare: {
    // Go parses the constraint first: a bad constraint is reported before a bad version.
    fn: (c, s) => {
      const groups = parseConstraints(c as string);
      return checkConstraints(groups, parseVersion(s as string));
    },
    params: ['string', 'string'],
  },
};
