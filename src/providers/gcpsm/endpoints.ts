// Google's auth endpoints, overridable for test servers (docs/providers/gcp.md), without
// loading google-auth-library: Vault's gcp login reads them too.

export interface AuthEndpoints {
  /** STS token exchange, default https://sts.googleapis.com/v1/token. */
  stsUrl?: string;
  /** IAM Credentials API base, default https://iamcredentials.googleapis.com. */
  iamCredentialsUrl?: string;
}

/** SYNCRET_GCP_STS_URL and SYNCRET_GCP_IAM_CREDENTIALS_URL. */
export function authEndpointsFromEnv(env: NodeJS.ProcessEnv): AuthEndpoints {
  return {
    ...(env.SYNCRET_GCP_STS_URL ? { stsUrl: env.SYNCRET_GCP_STS_URL } : {}),
    ...(env.SYNCRET_GCP_IAM_CREDENTIALS_URL
      ? { iamCredentialsUrl: env.SYNCRET_GCP_IAM_CREDENTIALS_URL }
      : {}),
  };
}
