// Classifying AWS errors (plain data: name, status, retryable flag), so handlers can tell a
// throttle or a 5xx, worth another poll, from a real failure.
import { clip } from './text';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'ServerException',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

export function isTransientError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** How much of an error's own text a result or a log line repeats. */
export const MAX_ERROR_SUMMARY = 3000;

/** "<Name>: <message>" for logs and one-sentence results, without a trailing period, at most MAX_ERROR_SUMMARY characters. */
export function errorSummary(err: unknown): string {
  // Our own input errors are already sentences for people; SDK errors keep their name.
  const text = err instanceof Error ? (err.name === 'InputError' ? err.message : `${err.name}: ${err.message}`) : String(err);
  return clip(text.replace(/\.\s*$/, ''), MAX_ERROR_SUMMARY);
}
