/**
 * Transient failures of a workflow task: ones a retry may cure (throttling, a conflicting
 * transaction, a service hiccup). A Lambda error reaches Step Functions with `Error` = the thrown
 * error's `name`, so the state machine's Retry lists names. To keep that list short and independent
 * of which AWS SDK error a handler happens to meet, the workflow's handlers are wrapped by
 * `withTransientErrors`: an error classified transient is rethrown as ONE name, `TransientError`
 * (its message keeps the original name). Anything else passes unchanged and goes to the Catch.
 *
 * The ASL also lists the raw names (TRANSIENT_ERROR_NAMES), for tasks whose handler is not
 * wrapped (the Broker Gateway's submit task) and as a backstop.
 */

/** Names that mean "try again": DynamoDB/SDK throttling and conflicts, 5xx, the event store's own. */
export const TRANSIENT_ERROR_NAMES = [
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionCanceledException',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TooManyRequestsException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  // The event store's optimistic concurrency, still conflicting after runCommand's attempts.
  'AppendConflict',
] as const;

const NAMES: ReadonlySet<string> = new Set(TRANSIENT_ERROR_NAMES);
const NODE_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** What the state machine retries (besides the Lambda service's own errors and Sandbox.Timedout). */
export class TransientError extends Error {
  constructor(
    message: string,
    /** The name of the error it stands for. */
    readonly original: string,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/**
 * True for a failure a retry may cure: a known transient name, an SDK error the service marked
 * retryable (`$retryable`), an HTTP 429 or 5xx answer, a dropped connection.
 */
export function isTransientError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkErrorShape;
  if (e.name === 'TransientError') return true;
  if (typeof e.name === 'string' && NAMES.has(e.name)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || (status >= 500 && status <= 599))) return true;
  return typeof e.code === 'string' && NODE_NETWORK_CODES.has(e.code);
}

/** `err` as the workflow should see it: a TransientError if a retry may cure it, else unchanged. */
export function asWorkflowError(err: unknown): unknown {
  if (err instanceof TransientError || !isTransientError(err)) return err;
  const e = err as { name?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return new TransientError(`${name}: ${message}`, name);
}

/** Wraps a task handler so its transient failures reach Step Functions as `TransientError`. */
export function withTransientErrors<A extends unknown[], R>(
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      throw asWorkflowError(err);
    }
  };
}
