// AWS SDK errors → ProviderError. Messages name the operation's subject (secret name,
// parameter, role) and AWS's error code, never AWS's free-text message: reads never send
// values, but a message is still a response body, and the code says what the user must fix.

import { ProviderError } from '../errors.js';
import type { ProviderErrorReason } from '../errors.js';

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  /** The HTTP answer, attached by the SDK when it could not deserialize it. */
  $response?: { headers?: Record<string, string | undefined> };
  $responseBodyText?: string;
}

const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'InvalidResourceId',
]);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'AuthorizationError']);
const AUTH_FAILED = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'IncompleteSignature',
  'InvalidIdentityToken',
  'IDPRejectedClaim',
  'IDPCommunicationError',
  'CredentialsProviderError',
  'MissingAuthenticationToken',
]);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const UNAVAILABLE = new Set([
  'InternalServiceError',
  'InternalServiceErrorException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
const INVALID_CONFIG = new Set([
  'MalformedPolicyDocument',
  'PackedPolicyTooLarge',
  'RegionDisabledException',
]);

const JS_ERRORS = new Set(['Error', 'SyntaxError', 'TypeError', 'RangeError']);

// Node's network errors (no HTTP response at all).
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|UND_ERR_\w+)$/;

function describeCode(code: string, what: string): { reason: ProviderErrorReason; text: string } {
  if (NOT_FOUND.has(code)) return { reason: 'NotFound', text: `${what} not found` };
  if (code === 'DecryptionFailure')
    return {
      reason: 'AccessDenied',
      text: `${what} cannot be decrypted with its KMS key (check kms:Decrypt on the key for this identity)`,
    };
  if (ACCESS_DENIED.has(code))
    return { reason: 'AccessDenied', text: `the store's AWS identity is not allowed to read ${what}` };
  if (AUTH_FAILED.has(code))
    return { reason: 'AuthFailed', text: `AWS rejected the store's credentials for ${what}` };
  if (THROTTLED.has(code)) return { reason: 'Throttled', text: `AWS throttled the request for ${what}` };
  if (UNAVAILABLE.has(code)) return { reason: 'Unavailable', text: `AWS is unavailable for ${what}` };
  if (INVALID_CONFIG.has(code))
    return { reason: 'InvalidProviderConfig', text: `AWS rejected the store configuration for ${what}` };
  return { reason: 'InvalidRequest', text: `AWS rejected the request for ${what}` };
}

const ERROR_CODE = /^[A-Za-z][A-Za-z0-9._]{0,127}$/;

/**
 * The error code of an answer the SDK could not parse (moto answers auth failures of JSON
 * services in XML): AWS's X-Amzn-ErrorType header ("Code:namespace"), else the XML's <Code>.
 * A code names the failure and carries no value, so it is safe in a message.
 */
function unparsedErrorCode(err: SdkErrorShape): string {
  const header = err.$response?.headers?.['x-amzn-errortype']?.split(':')[0]?.trim() ?? '';
  if (ERROR_CODE.test(header)) return header;
  const body = typeof err.$responseBodyText === 'string' ? err.$responseBodyText.slice(0, 16 * 1024) : '';
  const xml = /<Code>\s*([^<\s]{1,128})\s*<\/Code>/.exec(body)?.[1] ?? '';
  return ERROR_CODE.test(xml) ? xml : '';
}

/** Maps any error thrown by an AWS SDK call about `what` (e.g. `secret "db"`). */
export function awsError(e: unknown, what: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (e ?? {}) as SdkErrorShape;
  const status = err.$metadata?.httpStatusCode;
  // A response body the SDK could not parse (moto answers some errors in XML where AWS
  // sends JSON) surfaces as a JavaScript error name: the code is then read from the answer's
  // header or XML, and failing that only the HTTP status is meaningful.
  const jsError = !err.name || JS_ERRORS.has(err.name);
  const code = jsError ? err.code || unparsedErrorCode(err) : err.name!;
  if (NETWORK.test(err.code ?? '') || NETWORK.test(code))
    return new ProviderError('Unavailable', `cannot reach AWS for ${what} (${err.code ?? code})`);
  if (code === 'InvalidRequestException' && /deleted|deletion/i.test(err.message ?? ''))
    return new ProviderError(
      'InvalidRequest',
      `${what} is marked for deletion (InvalidRequestException); restore it or point the ExternalSecret elsewhere`,
    );
  // Unknown codes: the HTTP status decides (429 throttled, 5xx unavailable, 403 denied).
  let known = describeCode(code, what);
  if (known.reason === 'InvalidRequest') {
    if (status === 429 || (status === undefined && err.$retryable?.throttling))
      known = describeCode('ThrottlingException', what);
    else if (status !== undefined && status >= 500) known = describeCode('InternalFailure', what);
    else if (status === 403) known = describeCode('AccessDenied', what);
    else if (status === undefined && !code)
      return new ProviderError('Unavailable', `request to AWS for ${what} failed`);
  }
  const { reason, text } = known;
  const suffix = code ? ` (${code}${status ? `, HTTP ${status}` : ''})` : status ? ` (HTTP ${status})` : '';
  return new ProviderError(reason, `${text}${suffix}`);
}
