// How to reach one apiserver. Its own module because both the kubeconfig loader (which
// produces it) and the client (which consumes it) need it, and neither should import the other.

/** How to reach an apiserver without a kubeconfig (e.g. another cluster, for a provider). */
export interface ClusterConfig {
  /** https://host:port, optionally with a path prefix (a proxy). */
  server: string;
  /** PEM text, or base64 of PEM (as in a kubeconfig's *-data fields). */
  caData?: string;
  certData?: string;
  keyData?: string;
  /**
   * A bearer token, or a function returning the current one. A function is called at most
   * every 10 s and again after a 401, so a rotated token file is picked up.
   */
  token?: string | (() => Promise<string>);
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}
