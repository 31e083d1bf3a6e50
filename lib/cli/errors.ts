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
  if (/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/.test(`${name} ${message}`)) {
    return new CliError(`cannot reach AWS (${firstLine(message)})`, 'network');
  }
  return undefined;
}

export function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
