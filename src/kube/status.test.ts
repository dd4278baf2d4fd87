import { describe, expect, it } from '@jest/globals';
import { statusError } from './status.js';

function status(code: number, reason: string, message: string, retryAfterSeconds?: number) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message,
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
  };
}

describe('statusError', () => {
  it('parses Retry-After from the header or the Status details', () => {
    expect(
      statusError(429, JSON.stringify(status(429, 'TooManyRequests', 'x')), '3', 'GET /').retryAfterSeconds,
    ).toBe(3);
    expect(
      statusError(503, JSON.stringify(status(503, 'ServiceUnavailable', 'x', 7)), undefined, 'GET /')
        .retryAfterSeconds,
    ).toBe(7);
    expect(statusError(409, 'not json', undefined, 'PUT /').reason).toBe('Conflict');
  });
});
