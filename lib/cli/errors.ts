/** Exit codes, documented in README: 0 ok, 1 refused or failed, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An expected failure: printed as one line, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    /** A stable machine-readable reason for --json output. */
    readonly code: string,
    readonly exitCode: number = EXIT_FAILED,
    /** Extra fields for the --json error document. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function errorName(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  return String(e?.name ?? e?.Code ?? e?.code ?? '');
}

export function errorMessage(err: unknown): string {
  const m = (err as { message?: unknown })?.message;
  return typeof m === 'string' ? m : String(err);
}

/**
 * Turns the SDK's failures that people hit every day into one clear sentence. Anything else is
 * left for the caller to report as unexpected.
 */
export function explainAwsError(err: unknown): CliError | undefined {
  if (err instanceof CliError) return err;
  const name = errorName(err);
  const message = errorMessage(err);
  const profile = /Could not resolve credentials using profile: \[(.+?)\]/.exec(message);
  if (profile) {
    return new CliError(`AWS profile "${profile[1]}" has no usable credentials in your AWS config or credentials file (check the profile, or run \`aws sso login --profile ${profile[1]}\`)`, 'bad-profile');
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CliError(
      'no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, use --profile, or run `aws sso login`)',
      'no-credentials',
    );
  }
  if (/Region is missing/i.test(message)) {
    return new CliError('no AWS region (use --region or set AWS_REGION)', 'no-region');
  }
  if (/^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(name) || /token .*expired/i.test(message)) {
    return new CliError('your AWS credentials have expired (refresh them, e.g. `aws sso login`, and retry)', 'expired-credentials');
  }
  if (/^(UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|SignatureDoesNotMatch)$/.test(name)) {
    return new CliError(`AWS rejected your credentials (${name}); check AWS_PROFILE / --profile`, 'bad-credentials');
  }
  if (/AccessDenied/i.test(name)) {
    return new CliError(`access denied: ${firstLine(message)}`, 'access-denied');
  }
  if (THROTTLING.test(name) || /rate exceeded/i.test(message)) {
    return new CliError(`AWS is throttling this account's requests (${name || 'Throttling'}: ${firstLine(message)}), still after the SDK's retries; wait a minute and run it again`, 'throttled');
  }
  const unreachable = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET/.exec(`${name} ${(err as { code?: unknown })?.code ?? ''} ${message}`);
  if (unreachable) {
    const host = hostOf(err, message);
    const region = host === null ? null : REGION_HOST.exec(host)?.[1] ?? null;
    if ((unreachable[0] === 'ENOTFOUND' || unreachable[0] === 'EAI_AGAIN') && region !== null) {
      return new CliError(
        `cannot reach AWS in region ${region}: ${host} does not resolve, so ${region} is not a region AWS has (check --region, AWS_REGION and your profile's region) or this machine has no DNS`,
        'network',
      );
    }
    return new CliError(`cannot reach AWS${host ? ` at ${host}` : ''} (${firstLine(message)}): check your network, proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL`, 'network');
  }
  if ((err as { $fault?: unknown })?.$fault === 'server') {
    return new CliError(`AWS answered with a server error (${name}: ${firstLine(message)}), still after the SDK's retries; try again in a few minutes`, 'aws-unavailable');
  }
  return undefined;
}

/** Throttling error names across services (SDK retry strategy's list, plus each service's own). */
const THROTTLING = /^(Throttling|ThrottlingException|ThrottledException|TooManyRequestsException|RequestLimitExceeded|RequestThrottled|RequestThrottledException|SlowDown|ProvisionedThroughputExceededException|BandwidthLimitExceeded|TransactionInProgressException|PriorRequestNotComplete|EC2ThrottledException)$/;
/** An endpoint `<service>.<region>.amazonaws.com[.cn]`. */
const REGION_HOST = /^[a-z0-9-]+\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

function hostOf(err: unknown, message: string): string | null {
  const hostname = (err as { hostname?: unknown })?.hostname;
  if (typeof hostname === 'string' && hostname !== '') return hostname;
  return /(?:ENOTFOUND|EAI_AGAIN)\s+(\S+)/.exec(message)?.[1] ?? null;
}

export function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
