// Bounds on label values, so no bug and no tenant can turn /metrics into one series per object
// (or leak a value into it). Three rules:
//  - LabelGuard: a label of a pushed metric takes at most `max` distinct values over the
//    process' life; odd values and values beyond the cap are reported as 'other';
//  - capSeries: a family computed at scrape time from the caches (counts by namespace, store,
//    reason) has at most `max` series per scrape; the smallest fold into 'other';
//  - objectLabel: the opt-in per-object series (--metrics-per-object) carry object names,
//    which are Kubernetes names or else 'other'.

const LABEL_VALUE = /^[A-Za-z0-9_.:/-]{1,64}$/;
/** A Kubernetes object name: a DNS subdomain (namespaces and most kinds are stricter still). */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const OTHER = 'other';

export class LabelGuard {
  private readonly seen = new Map<string, Set<string>>();
  constructor(private readonly max: number) {}

  value(label: string, v: string): string {
    if (!LABEL_VALUE.test(v)) return OTHER;
    let set = this.seen.get(label);
    if (!set) this.seen.set(label, (set = new Set()));
    if (set.has(v)) return v;
    if (set.size >= this.max) return OTHER;
    set.add(v);
    return v;
  }
}

/** A label value of a scrape-time series: the empty string (no store, no cause) is kept as is. */
export function scrapeLabel(v: string | undefined): string {
  if (v === undefined || v === '') return '';
  return LABEL_VALUE.test(v) ? v : OTHER;
}

/** An object's name or namespace as a label of a per-object series. */
export function objectLabel(v: string | undefined): string {
  if (v === undefined || v === '') return '';
  return OBJECT_NAME.test(v) ? v : OTHER;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * At most `max` series: the largest `max - 1` are kept and the rest are summed into series
 * whose `fold` labels say 'other' (one per combination of the remaining labels, which are
 * small enumerations such as ready or reason). Sums are preserved, so totals stay right.
 */
export function capSeries(samples: Sample[], max: number, fold: readonly string[]): Sample[] {
  if (samples.length <= max) return samples;
  const sorted = [...samples].sort((a, b) => b.value - a.value);
  const kept = sorted.slice(0, Math.max(0, max - 1));
  const folded = new Map<string, Sample>();
  for (const s of sorted.slice(kept.length)) {
    const labels = { ...s.labels };
    for (const l of fold) if (l in labels) labels[l] = OTHER;
    const key = JSON.stringify(labels);
    const f = folded.get(key);
    if (f) f.value += s.value;
    else folded.set(key, { labels, value: s.value });
  }
  return [...kept, ...folded.values()];
}

/** Counts of identical label sets (the key is built by the caller, e.g. joined with \u0000). */
export class Tally {
  private readonly counts = new Map<string, Sample>();

  add(key: string, labels: () => Record<string, string>, by = 1): void {
    const s = this.counts.get(key);
    if (s) s.value += by;
    else this.counts.set(key, { labels: labels(), value: by });
  }

  samples(): Sample[] {
    return [...this.counts.values()];
  }
}
