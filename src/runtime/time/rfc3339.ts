/**
 * A time as metav1.Time writes it: RFC 3339 in UTC with whole seconds. Kubernetes tools compare
 * these as strings, and a fraction would also change every status write for nothing.
 */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
