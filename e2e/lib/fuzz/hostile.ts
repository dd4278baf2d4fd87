// The hostile pieces the fuzz manifests are built from: patterns that backtrack without end (or
// that Go refuses), templates that loop, grow or fail in odd ways, intervals and durations Go
// does not parse or that overflow, strings with NUL bytes and control characters, and random
// structures. Written for this suite; no external corpus.

import type { Rng } from './rng.js';

/** Patterns a backtracking engine takes seconds to years on (56 'a' and a '!'); RE2 does not. */
export const CATASTROPHIC = [
  '^(a+)+$',
  '(a|aa)+$',
  '(a|a?)+$',
  '^(a*)*$',
  '(.*a){25}',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '(x+x+)+y',
  '(\\w+\\s?)+$',
  '^(a+){10}$',
  '(.*)*b',
  '((a{1,10}){1,10}){1,10}$',
  '.*.*.*.*.*.*.*.*.*=.*',
] as const;

/** What Go's regexp/syntax refuses (lookaround, backreferences, bad classes, counts over 1000). */
export const REFUSED = [
  '(?<!x)a',
  '(?=x)',
  '(?!x)y',
  '(a)\\1',
  'a{1001}',
  'x{2}{1001}',
  '(?P<n>a)(?P<n>b)',
  '[',
  '(',
  ')',
  '*',
  'a**',
  '(?i',
  '\\p{Nope}',
  '[z-a]',
  '\\',
  '(?<name',
  '(?#comment)',
  '\\8',
  '[[:word:]]',
  '((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))'.repeat(40),
] as const;

const ATOMS = ['a', 'b', '.', '\\w', '\\d', '\\s', '[a-z]', '[^!]', '\\pL', '(?i)a', '^', '$', '\\b'];
const QUANTIFIERS = ['', '', '*', '+', '?', '{2}', '{1,5}', '{0,}', '*?', '+?', '{1000}', '{3,2}'];

/** A random regular expression, nested up to `depth` groups. */
export function randomPattern(rng: Rng, depth = 3): string {
  const parts: string[] = [];
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    let atom =
      depth > 0 && rng.chance(0.4)
        ? `(${rng.chance(0.2) ? '?:' : ''}${randomPattern(rng, depth - 1)}${rng.chance(0.3) ? `|${randomPattern(rng, depth - 1)}` : ''})`
        : rng.pick(ATOMS);
    atom += rng.pick(QUANTIFIERS);
    parts.push(atom);
  }
  return parts.join('');
}

export function hostilePattern(rng: Rng): string {
  return rng.weighted<() => string>([
    [() => rng.pick(CATASTROPHIC), 4],
    [() => rng.pick(REFUSED), 3],
    [() => randomPattern(rng), 3],
  ])();
}

/** A Go template raw string literal holding `s` (backquotes cannot be escaped in Go). */
export const raw = (s: string): string => (s.includes('`') ? JSON.stringify(s) : `\`${s}\``);

/** Templates that loop, recurse or grow past any Secret. */
export const RUNAWAY_TEMPLATES = [
  '{{ range 1000000000 }}{{ $.k }}{{ end }}',
  '{{ range until 100000 }}{{ range until 100000 }}x{{ end }}{{ end }}',
  '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}',
  '{{ define "a" }}{{ template "b" . }}{{ end }}{{ define "b" }}{{ template "a" . }}{{ end }}{{ template "a" . }}',
  '{{ $s := "xxxxxxxx" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}{{ $s }}',
  '{{ "x" | repeat 1000000000 }}',
  '{{ .k | indent 100000000 }}',
  '{{ .k | nindent 2000000000 }}',
  '{{ range $i, $e := until 10000000 }}{{ $e }}{{ end }}',
  '{{ $l := list }}{{ range until 1000000 }}{{ $l = append $l . }}{{ end }}{{ len $l }}',
  '{{ list 1 2 3 | toJson | repeat 100000000 }}',
  '{{ $d := dict }}{{ range until 500000 }}{{ $_ := set $d (toString .) . }}{{ end }}{{ toJson $d }}',
  '{{ range until 2000 }}{{ range until 2000 }}{{ $.k | sha256sum }}{{ end }}{{ end }}',
  '{{ printf "%999999999d" 1 }}{{ printf "%.999999999f" 1.0 }}',
  '{{ randAlphaNum 100000000 }}',
  '{{ $x := "a" }}{{ range until 64 }}{{ $x = cat $x $x }}{{ end }}{{ len $x }}',
  '{{ untilStep 0 1000000000 1 | len }}',
  '{{ seq 1000000000 | len }}',
  '{{ .k | wrap 1 | repeat 10000000 }}',
] as const;

/** Fragments that build broken, failing or value-echoing templates. */
const TEMPLATE_BITS = [
  '{{',
  '}}',
  '{{ .k }}',
  '{{ .missing.field.deep }}',
  '{{ index . "k" 99 }}',
  '{{ fail .k }}',
  '{{ fail (printf "%s-%s" .k .k) }}',
  '{{ .k | fromJson }}',
  '{{ .k | mustFromJson }}',
  '{{ .k | b64dec }}',
  '{{ .k | b32dec }}',
  '{{ .k | fromYaml | toJson }}',
  '{{ .json | fromJson | toYaml }}',
  '{{ required "need it" .missing }}',
  '{{ include "nope" . }}',
  '{{ template "nope" }}',
  '{{ range .k }}{{ . }}{{ end }}',
  '{{ with $x := .k }}{{ $x | upper }}{{ end }}',
  '{{ if }}',
  '{{ end }}',
  '{{ else }}',
  '{{ $ }}',
  '{{ $x }}',
  '{{ nil }}',
  '{{ .k | atoi | div 0 }}',
  '{{ div 1 0 }}',
  '{{ mod 1 0 }}',
  '{{ .k | toDate "2006" }}',
  '{{ .k | semver }}',
  '{{ .k | urlParse | toJson }}',
  '{{ .k | decryptAES "k" }}',
  '{{ pkcs12key .k }}',
  '{{ .k | filterPEM "CERTIFICATE" }}',
  '{{ .k | rsaDecrypt "nope" }}',
  '{{ mustRegexMatch "(" .k }}',
  '{{ printf "%!" }}',
  '{{ printf "%s %d %v %x %q" .k .k .k .k .k | trunc 10 }}',
  '{{- /* comment */ -}}',
  '{{ "\\u0000\\x1b[2J" }}',
  '{{ toJson . }}',
  '{{ . | toYaml }}',
  '{{ call .k }}',
  '{{ .k.Method }}',
  '{{ slice .k 5 1 }}',
  '{{ slice .k 0 999999 }}',
  '{{ index (list) 0 }}',
  '{{ deepCopy nil }}',
  '{{ dig "a" "b" "c" "d" dict }}',
  'plain text',
  '\u0000',
  '\u001b[31m',
  '\ud800',
  '{{ `',
  '{{ "unterminated',
] as const;

export function brokenTemplate(rng: Rng): string {
  const n = rng.range(1, 5);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(TEMPLATE_BITS);
  return s;
}

/** refreshInterval values: floors, zero, negatives, overflows, what Go's ParseDuration refuses. */
export const INTERVALS = [
  '1ns',
  '0.0000001s',
  '1us',
  '1µs',
  '1ms',
  '999ms',
  '0',
  '0s',
  '-1s',
  '-0',
  '1e9h',
  '9999999999h',
  '2562047h47m16.854775807s',
  '2562048h',
  'abc',
  '',
  '1h1h',
  '1.5.5s',
  ' 1s',
  '1s ',
  '1s\u0000',
  'PT1H',
  '1d',
  '1w',
  '+5s',
  '.5s',
  '5.s',
  '1h-1m',
  '0x10s',
  '1_000s',
  'NaN',
  '1e3s',
  '10S',
  '5m0.000000001s',
  '00000000000000000000001s',
  `${'1'.repeat(400)}s`,
  '10s',
  '1h',
  '30s',
] as const;

/** Characters that break YAML, terminals and naive logs. */
export const CONTROL = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u001b[2J',
  '\r\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\uffff',
];

export function withControl(rng: Rng, s: string): string {
  const at = rng.int(s.length + 1);
  return s.slice(0, at) + rng.pick(CONTROL) + s.slice(at);
}

/** Lengths just under and over the schema's bounds, and far beyond. */
export const LENGTHS = [64, 254, 257, 4096, 4097, 70_000, 262_145] as const;

export function longString(rng: Rng, n: number): string {
  return rng.pick(['a', 'k', '/', '{{ .k }}', 'ä', '.', '-']).repeat(n).slice(0, n);
}

/** Strings a mutation may put anywhere. */
export function hostileString(rng: Rng): string {
  return rng.weighted<() => string>([
    [() => rng.text(rng.range(0, 12)), 3],
    [() => '', 2],
    [() => withControl(rng, rng.text(6)), 2],
    [() => longString(rng, rng.pick(LENGTHS)), 1],
    [() => hostilePattern(rng), 1],
    [() => rng.pick(RUNAWAY_TEMPLATES), 1],
    [() => brokenTemplate(rng), 1],
    [() => rng.pick(INTERVALS), 1],
    [
      () =>
        rng.pick([
          'SecretStore',
          'ClusterSecretStore',
          'Password',
          'Secret',
          'Owner',
          'Merge',
          'None',
          'Delete',
          'v2',
          'Fetch',
          'Base64',
        ]),
      2,
    ],
    [
      () =>
        rng.pick([
          'http://127.0.0.1:1',
          'https://127.0.0.1:1',
          'http://user:pw@127.0.0.1:1/p?q=1',
          'ftp://x',
          'file:///etc/passwd',
          'javascript:alert(1)',
          'http://[::1',
          'https://',
          '//',
        ]),
      1,
    ],
  ])();
}

export const FIELD_NAMES = [
  'data',
  'dataFrom',
  'remoteRef',
  'key',
  'property',
  'version',
  'secretKey',
  'target',
  'template',
  'templateFrom',
  'secretStoreRef',
  'name',
  'kind',
  'refreshInterval',
  'refreshPolicy',
  'provider',
  'fake',
  'vault',
  'kubernetes',
  'auth',
  'server',
  'extract',
  'find',
  'rewrite',
  'regexp',
  'source',
  'transform',
  'sourceRef',
  'storeRef',
  'generatorRef',
  'creationPolicy',
  'deletionPolicy',
  'immutable',
  'metadata',
  'labels',
  'annotations',
  'engineVersion',
  'mergePolicy',
  'decodingStrategy',
  'conversionStrategy',
  'metadataPolicy',
  'nullBytePolicy',
  'valueMap',
  'value',
  'validationResult',
  'retrySettings',
  'conditions',
  'x-unknown',
  '',
  '\u0000',
  '$ref',
  '__proto__',
  'constructor',
] as const;

/** Any JSON value, nested up to `depth`. */
export function randomValue(rng: Rng, depth = 2): unknown {
  return rng.weighted<() => unknown>([
    [() => null, 1],
    [() => rng.chance(0.5), 1],
    [() => rng.pick([0, -1, 1, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, 0.5, -0.0, 3.14]), 2],
    [() => hostileString(rng), 4],
    [() => (depth > 0 ? Array.from({ length: rng.range(0, 3) }, () => randomValue(rng, depth - 1)) : []), 1],
    [
      () =>
        depth > 0
          ? Object.fromEntries(
              Array.from({ length: rng.range(0, 3) }, () => [
                rng.pick(FIELD_NAMES),
                randomValue(rng, depth - 1),
              ]),
            )
          : {},
      1,
    ],
  ])();
}

/** JSON text nested `depth` levels deep. */
export function deepJson(depth: number, open = '[', close = ']'): string {
  return `${open.repeat(depth)}${close.repeat(depth)}`;
}

/** An object nested `depth` levels deep (for manifests). */
export function deepObject(depth: number): Record<string, unknown> {
  let o: Record<string, unknown> = { leaf: 'x' };
  for (let i = 0; i < depth; i++) o = { n: o };
  return o;
}
