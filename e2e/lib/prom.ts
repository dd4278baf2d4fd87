// Reading Prometheus text and PromQL in tests: the samples of a scrape, the families it declares,
// and the metric names a query uses (so dashboards and alert rules can be checked against a live
// /metrics).

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: PromSample[];
  /** Family name -> type, from the # TYPE lines (declared families, with or without samples). */
  families: Map<string, string>;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text))
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  return out;
}

export function parseScrape(text: string): Scrape {
  const samples: PromSample[] = [];
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) families.set(t[1]!, t[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m) samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? ''), value: Number(m[3]) });
  }
  return { samples, families };
}

/** The samples of one metric whose labels include `labels`. */
export function select(s: Scrape, name: string, labels: Record<string, string> = {}): PromSample[] {
  return s.samples.filter(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
}

/** Whether the scrape declares the series name (a family, or a histogram's _bucket/_sum/_count). */
export function declares(s: Scrape, name: string): boolean {
  if (s.families.has(name)) return true;
  const h = /^(.*)_(bucket|sum|count)$/.exec(name);
  return !!h && ['histogram', 'summary'].includes(s.families.get(h[1]!) ?? '');
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords,
 * label names (inside {} or a by/without/on list), durations or strings.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out = new Set<string>();
  const re = /(?<![\w$:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g;
  for (let m = re.exec(stripped); m; m = re.exec(stripped)) {
    const id = m[1]!;
    if (!KEYWORDS.has(id.toLowerCase())) out.add(id);
  }
  return [...out];
}
