import {
  asWorkflowError,
  isTransientError,
  TransientError,
  withTransientErrors,
} from '../../lambdas/platform/transient-errors.js';

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('transient workflow errors', () => {
  it.each<[string, unknown, boolean]>([
    ['DynamoDB throttling', named('ThrottlingException'), true],
    ['provisioned throughput', named('ProvisionedThroughputExceededException'), true],
    ['a conflicting transaction', named('TransactionConflictException'), true],
    ['a cancelled transaction', named('TransactionCanceledException'), true],
    ['the event store still conflicting', named('AppendConflict'), true],
    ['request limit', named('RequestLimitExceeded'), true],
    ['a 500', named('InternalServerError'), true],
    ['a 503', named('ServiceUnavailable'), true],
    ['an SDK error marked retryable', named('SomethingNew', { $retryable: {} }), true],
    ['an HTTP 429', named('SomethingNew', { $metadata: { httpStatusCode: 429 } }), true],
    ['an HTTP 502', named('SomethingNew', { $metadata: { httpStatusCode: 502 } }), true],
    ['a reset connection', named('Error', { code: 'ECONNRESET' }), true],
    ['an HTTP 400', named('ValidationException', { $metadata: { httpStatusCode: 400 } }), false],
    ['access denied', named('AccessDeniedException', { $metadata: { httpStatusCode: 403 } }), false],
    ['a failed condition', named('ConditionalCheckFailedException'), false],
    ['a missing order', named('OrderNotFound'), false],
    ['a plain Error', new Error('bug'), false],
    ['not an error', 'string', false],
  ])('%s: transient = %s', (_name, err, transient) => {
    expect(isTransientError(err)).toBe(transient);
    const seen = asWorkflowError(err) as { name?: string };
    if (transient) expect(seen).toBeInstanceOf(TransientError);
    else expect(seen).toBe(err);
  });

  it('the wrapper renames transient failures, keeps the original name in the message, passes the rest', async () => {
    const throttled = withTransientErrors(async () => Promise.reject(named('ThrottlingException')));
    await expect(throttled()).rejects.toMatchObject({
      name: 'TransientError',
      message: 'ThrottlingException: ThrottlingException happened',
      original: 'ThrottlingException',
    });
    const missing = withTransientErrors(async () => Promise.reject(named('OrderNotFound')));
    await expect(missing()).rejects.toMatchObject({ name: 'OrderNotFound' });
    const fine = withTransientErrors(async (x: number) => x * 2);
    await expect(fine(21)).resolves.toBe(42);
  });
});
