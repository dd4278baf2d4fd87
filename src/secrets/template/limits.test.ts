import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_TEMPLATE_LIMITS,
  TemplateBudget,
  TemplateError,
  parseTemplate,
  renderTemplate,
} from './index.js';
import { cpuMs } from './cputime.js';

function errorOf(f: () => unknown): TemplateError {
  try {
    f();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
}

/** Runs a template on a fresh budget; returns its output and what it used. */
function measure(tpl: string, data: unknown = {}) {
  const budget = new TemplateBudget();
  const out = parseTemplate('t', tpl).execute(data, { budget });
  return { out, ...budget.used() };
}

const hostile: [string, string, unknown][] = [
  ['a range over a huge int', '{{ range 1000000000 }}x{{ end }}', {}],
  ['nested ranges', '{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}', {}],
  [
    'a string that doubles',
    '{{ $s := "xxxxxxxx" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}',
    {},
  ],
  ['a huge repeat', '{{ repeat 16000000 "x" }}', {}],
  ['a huge indent', '{{ indent 500000000 "x" }}', {}],
  [
    'a huge printf width',
    '{{ printf "%10000009d" 1 }}{{ range 100000 }}{{ printf "%1000000d" 1 }}{{ end }}',
    {},
  ],
  ['output that grows', '{{ range until 10000 }}{{ $.big }}{{ end }}', { big: 'x'.repeat(10_000) }],
  ['a list that grows', '{{ $l := list }}{{ range until 10000 }}{{ $l = append $l 1 }}{{ end }}', {}],
  [
    'regexp work on a big input',
    '{{ range until 10000 }}{{ regexMatch "(a+)+$" $.big }}{{ end }}',
    { big: 'a'.repeat(50_000) },
  ],
];

describe('template limits', () => {
  it.each(hostile)('stops %s with a TemplateError naming the limit', (_name, tpl, data) => {
    const t0 = cpuMs();
    const err = errorOf(() => renderTemplate('t', tpl, data));
    const ms = cpuMs() - t0;
    expect(err.reason).toBe('TemplateLimit');
    expect(err.message).toMatch(/^template: t:\d+:\d+: executing "t" at <.*>: /);
    expect(err.message).toMatch(/the operator's limit per ExternalSecret/);
    // The CPU-time limit is the backstop; steps end these first (measured in CPU time, as the
    // limit is: a loaded machine adds wall time, not work).
    expect(ms).toBeLessThan(DEFAULT_TEMPLATE_LIMITS.maxMs * 2);
  });

  it('counts every execution that shares a budget', () => {
    const t = parseTemplate('t', '{{ range until 1000 }}{{ end }}');
    const one = measure('{{ range until 1000 }}{{ end }}').steps;
    expect(one).toBeGreaterThan(2000); // 1,000 iterations and a list of 1,000
    const budget = new TemplateBudget({ ...DEFAULT_TEMPLATE_LIMITS, maxSteps: Math.floor(4.5 * one) });
    for (let i = 0; i < 4; i++) t.execute({}, { budget });
    const err = errorOf(() => t.execute({}, { budget }));
    expect(err.message).toMatch(
      /^template: t:1:\d+: executing "t" at <until 1000>: template execution stopped after \d+ steps/,
    );
  });

  it('stops on wall time, counting only time inside executions', () => {
    let now = 0;
    const budget = new TemplateBudget({ ...DEFAULT_TEMPLATE_LIMITS, maxMs: 100 }, () => now);
    const t = parseTemplate('t', '{{ range until 2000 }}x{{ end }}');
    now += 1_000_000; // time between executions (a provider call) does not count
    t.execute({}, { budget });
    const slow = parseTemplate('t', '{{ range until 3000 }}{{ slowly }}{{ end }}', {
      funcs: { slowly: () => '' },
    });
    const err = errorOf(() => slow.execute({}, { budget, funcs: { slowly: () => ((now += 1), '') } }));
    expect(err.reason).toBe('TemplateLimit');
    expect(err.message).toContain('after 100 ms');
  });

  it('refuses a value larger than the output limit before it is written', () => {
    const budget = new TemplateBudget({ ...DEFAULT_TEMPLATE_LIMITS, maxOutputChars: 1000 });
    const err = errorOf(() => parseTemplate('t', '{{ repeat 2000 "x" | len }}').execute({}, { budget }));
    expect(err.message).toContain('exceeds the limit of 1000');
  });

  it('stops a recursive template at Go-like depth, quickly', () => {
    const t0 = cpuMs();
    const err = errorOf(() =>
      renderTemplate(
        't',
        '{{ define "r" }}{{ template "r" . }}{{ template "r" . }}{{ end }}{{ template "r" }}',
        {},
      ),
    );
    expect(err.message).toContain('exceeded maximum template depth');
    expect(cpuMs() - t0).toBeLessThan(DEFAULT_TEMPLATE_LIMITS.maxMs);
  });

  it('keeps Go text/template errors as they were', () => {
    const err = errorOf(() => renderTemplate('t', '{{ .a.b }}', { a: 'x' }));
    expect(err.reason).toBe('TemplateExec');
  });
});

// The largest templates of the tests, the examples and the docs, and what they use: the limits
// must be orders of magnitude above (docs/TEMPLATES.md, "Limits").
const CONFIG = Array.from({ length: 200 }, (_, i) => `key${i}: {{ .v${i % 20} | quote }}`).join('\n');
const realistic: [string, string, unknown][] = [
  [
    'a 200-line config file',
    CONFIG,
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`v${i}`, `value-${i}-${'z'.repeat(40)}`])),
  ],
  [
    'a dockerconfigjson',
    '{{ dict "auths" (dict .registry (dict "username" .user "password" .pass "auth" (printf "%s:%s" .user .pass | b64enc))) | toJson }}',
    { registry: 'registry.example.com', user: 'robot', pass: 'p'.repeat(64) },
  ],
  [
    'a range over 500 keys with regexps',
    '{{ range $k, $v := . }}{{ if regexMatch "^[A-Z_]+$" $k }}{{ $k }}={{ regexReplaceAll "\\\\s+" $v " " | quote }}\n{{ end }}{{ end }}',
    Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [
        `KEY_${i.toString(26).replace(/\d/g, (d) => 'QRSTUVWXYZ'[+d]!)}`.toUpperCase(),
        `v ${i}\t x`,
      ]),
    ),
  ],
  [
    'a 64 KiB certificate through b64enc and sha256sum',
    '{{ .cert | b64enc }}\n{{ .cert | sha256sum }}',
    { cert: 'c'.repeat(64 * 1024) },
  ],
];

describe('ordinary templates stay far below the limits', () => {
  it.each(realistic)('%s', (_name, tpl, data) => {
    const { steps, outputChars } = measure(tpl, data);
    expect(steps).toBeLessThan(DEFAULT_TEMPLATE_LIMITS.maxSteps / 10);
    expect(outputChars).toBeLessThan(DEFAULT_TEMPLATE_LIMITS.maxOutputChars / 20);
  });
});
