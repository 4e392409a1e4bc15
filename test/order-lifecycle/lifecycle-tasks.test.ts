import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { OrderCommand } from '../../lambdas/core/index.js';
import { handler as holdUntilTriggered } from '../../lambdas/held-triggers/hold-until-triggered.js';
import { handler as awaitOutcome } from '../../lambdas/order-lifecycle/await-outcome.js';
import { handler as expireOrder } from '../../lambdas/order-lifecycle/expire-order.js';
import {
  MAX_CAUSE_LENGTH,
  handler as recordException,
  summarizeCause,
} from '../../lambdas/order-lifecycle/record-exception.js';
import { handler as routeOrder } from '../../lambdas/order-lifecycle/route-order.js';
import { appended, history, lambdaContext, setEnv, spec, storeHolds, TABLES } from './fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const order = spec({ symbol: 'AAPL', qty: '10', side: 'buy', type: 'limit', limit_price: '100' });
const fill = (execId: string, lastQty: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx: '100',
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  setEnv();
  ddb.on(PutCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
});

describe('await-outcome', () => {
  const payload = { orderId: 'ord-1', taskToken: 'tok-1', outcomeTimeoutSeconds: 3600 };

  it('stores the token, then finds the order still working and leaves the release to the signaller', async () => {
    storeHolds(ddb, history(order, [{ type: 'accept' }, fill('e1', '4')]).events);
    await expect(awaitOutcome(payload)).resolves.toEqual({ orderId: 'ord-1', releasedWith: null });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(TABLES.TASK_TOKENS_TABLE);
    expect(put?.Item).toMatchObject({ orderId: 'ord-1', taskToken: 'tok-1' });
    const item = put?.Item as { registeredAt: string; expiresAt: number };
    expect(item.expiresAt).toBeGreaterThan(Date.parse(item.registeredAt) / 1000 + 3600);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('closes the race: an order that closed before the token was stored is released here', async () => {
    storeHolds(ddb, history(order, [{ type: 'accept' }, fill('e1', '10')]).events);
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(awaitOutcome(payload)).resolves.toEqual({ orderId: 'ord-1', releasedWith: 'filled' });
    // Token first, order second: a milestone appended in between is seen by one of the two.
    const sequence = ddb.calls().map((c) => c.args[0].constructor.name);
    expect(sequence.indexOf('PutCommand')).toBeLessThan(sequence.indexOf('QueryCommand'));
    const send = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(send?.taskToken).toBe('tok-1');
    expect(JSON.parse(String(send?.output))).toEqual({ orderId: 'ord-1', status: 'filled', seq: 3 });
  });

  it.each(['TaskTimedOut', 'InvalidToken'])(
    'takes %s as the signaller having released it first',
    async (name) => {
      storeHolds(ddb, history(order, [{ type: 'reject', reason: 'x' }]).events);
      sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error(name), { name }));
      await expect(awaitOutcome(payload)).resolves.toEqual({ orderId: 'ord-1', releasedWith: 'rejected' });
    },
  );

  it('lets any other Step Functions error through, a transient one as TransientError (the state retries it)', async () => {
    storeHolds(ddb, history(order, [{ type: 'reject', reason: 'x' }]).events);
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(awaitOutcome(payload)).rejects.toMatchObject({
      name: 'TransientError',
      message: 'ThrottlingException: throttled',
    });
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(awaitOutcome(payload)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('hold-until-triggered', () => {
  const stop = spec({
    symbol: 'AAPL',
    qty: '10',
    side: 'sell',
    type: 'stop',
    stop_price: '90',
    time_in_force: 'gtc',
  });
  const payload = { orderId: 'ord-1', taskToken: 'tok-1', venue: 'SIMX', outcomeTimeoutSeconds: 3600 };
  const tokenPut = () =>
    ddb.commandCalls(PutCommand).find((c) => c.args[0].input.TableName === TABLES.TASK_TOKENS_TABLE)?.args[0]
      .input;

  it('stores the trigger wait, then arms the stop, and leaves the release to the signaller', async () => {
    storeHolds(ddb, history(stop).events);
    await expect(holdUntilTriggered(payload, lambdaContext)).resolves.toEqual({
      orderId: 'ord-1',
      releasedWith: null,
    });
    expect(tokenPut()?.Item).toMatchObject({ orderId: 'ord-1', taskToken: 'tok-1', awaits: 'trigger' });
    expect(appended(ddb).map((e) => [e.type, e.data])).toEqual([['OrderArmed', { venue: 'SIMX' }]]);
    // Token first, order second.
    const sequence = ddb.calls().map((c) => c.args[0].constructor.name);
    expect(sequence.indexOf('PutCommand')).toBeLessThan(sequence.indexOf('QueryCommand'));
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('a retried step finds the stop armed: nothing appended, still waiting', async () => {
    storeHolds(ddb, history(stop, [{ type: 'arm', venue: 'SIMX' }]).events);
    await expect(holdUntilTriggered(payload, lambdaContext)).resolves.toEqual({
      orderId: 'ord-1',
      releasedWith: null,
    });
    expect(appended(ddb)).toEqual([]);
  });

  it.each<[string, OrderCommand[], string]>([
    [
      'triggered before the token was stored: released to be sent',
      [
        { type: 'arm', venue: 'SIMX' },
        { type: 'trigger', triggerPrice: '89.9' },
      ],
      'pending_new',
    ],
    [
      'canceled while armed',
      [
        { type: 'arm', venue: 'SIMX' },
        { type: 'requestCancel', requestedBy: 'client' },
      ],
      'canceled',
    ],
    [
      'a replacement already at the venue (triggered there)',
      [{ type: 'accept' }, { type: 'trigger', triggerPrice: '89.9' }],
      'new',
    ],
  ])('%s: the task releases its own token with the status', async (_case, commands, status) => {
    const { events, state } = history(stop, commands);
    storeHolds(ddb, events);
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(holdUntilTriggered(payload, lambdaContext)).resolves.toEqual({
      orderId: 'ord-1',
      releasedWith: status,
    });
    const send = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(JSON.parse(String(send?.output))).toEqual({ orderId: 'ord-1', status, seq: state.seq });
    expect(appended(ddb)).toEqual([]);
  });
});

describe('route-order', () => {
  it('routes to the simulated venue and waits until the close', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-07-15T14:00:10.000Z'));
    await expect(
      routeOrder({ orderId: 'ord-1', timeInForce: 'day', submittedAt: '2025-07-15T14:00:00.000Z' }),
    ).resolves.toEqual({ venue: 'SIMX', outcomeTimeoutSeconds: 6 * 3600 + 60 - 10, holdTrigger: false });
    process.env.VENUE_NAME = 'XNAS-SIM';
    process.env.OMS_SESSION_CLOSE = '13:00';
    await expect(
      routeOrder({ orderId: 'ord-1', timeInForce: 'day', submittedAt: '2025-07-15T14:00:00.000Z' }),
    ).resolves.toEqual({ venue: 'XNAS-SIM', outcomeTimeoutSeconds: 3 * 3600 + 60 - 10, holdTrigger: false });
    now.mockRestore();
  });

  it('takes the close to the second, the grace and the session days from its environment', async () => {
    // Saturday 2025-07-19 15:59:25 EDT: with daily sessions, a 15:59:30 close is 5 s away.
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-07-19T19:59:27.000Z'));
    const route = () =>
      routeOrder({ orderId: 'ord-1', timeInForce: 'day', submittedAt: '2025-07-19T19:59:25.000Z' });
    process.env.OMS_SESSION_CLOSE = '15:59:30';
    process.env.OMS_EXPIRY_GRACE_SECONDS = '1';
    process.env.OMS_SESSION_DAYS = 'sun,mon,tue,wed,thu,fri,sat';
    await expect(route()).resolves.toEqual({
      venue: 'SIMX',
      outcomeTimeoutSeconds: 5 + 1 - 2,
      holdTrigger: false,
    });
    // Weekday sessions (the default): Monday's close.
    delete process.env.OMS_SESSION_DAYS;
    await expect(route()).resolves.toEqual({
      venue: 'SIMX',
      outcomeTimeoutSeconds: 2 * 24 * 3600 + 5 + 1 - 2,
      holdTrigger: false,
    });
    now.mockRestore();
  });

  it.each([
    ['OMS_SESSION_CLOSE', '4pm'],
    ['OMS_EXPIRY_GRACE_SECONDS', '-5'],
    ['OMS_SESSION_DAYS', 'weekdays'],
  ])('fails loudly on a malformed %s, naming it', async (name, value) => {
    process.env[name] = value;
    await expect(
      routeOrder({ orderId: 'ord-1', timeInForce: 'day', submittedAt: '2025-07-15T14:00:00.000Z' }),
    ).rejects.toThrow(new RegExp(`^${name}: `));
  });

  it.each([
    ['market,limit', 'stop', true],
    ['market,limit', 'trailing_stop', true],
    ['market,limit,stop_limit', 'stop_limit', false],
    ['market,limit', 'limit', false],
    [undefined, 'stop', false],
    ['market,limit', undefined, false],
  ])(
    'with OMS_VENUE_ORDER_TYPES=%s a %s order has its trigger held by the OMS: %s',
    async (types, orderType, held) => {
      if (types === undefined) delete process.env.OMS_VENUE_ORDER_TYPES;
      else process.env.OMS_VENUE_ORDER_TYPES = types;
      const result = await routeOrder({
        orderId: 'ord-1',
        timeInForce: 'gtc',
        submittedAt: '2025-07-15T14:00:00.000Z',
        ...(orderType === undefined ? {} : { orderType }),
      });
      expect(result.holdTrigger).toBe(held);
    },
  );

  it('fails loudly on a malformed OMS_VENUE_ORDER_TYPES, naming it', async () => {
    process.env.OMS_VENUE_ORDER_TYPES = 'stop,limit';
    await expect(
      routeOrder({
        orderId: 'ord-1',
        orderType: 'stop',
        timeInForce: 'gtc',
        submittedAt: '2025-07-15T14:00:00Z',
      }),
    ).rejects.toThrow(/^OMS_VENUE_ORDER_TYPES: must include market and limit/);
  });

  it('refuses a payload without a time in force', async () => {
    await expect(routeOrder({ orderId: 'ord-1', submittedAt: '2025-07-15T14:00:00Z' })).rejects.toThrow(
      /malformed/,
    );
  });
});

describe('expire-order', () => {
  it('expires a working order', async () => {
    storeHolds(ddb, history(order, [{ type: 'accept' }, fill('e1', '4')]).events);
    await expect(expireOrder({ orderId: 'ord-1' }, lambdaContext)).resolves.toEqual({
      orderId: 'ord-1',
      status: 'expired',
      expired: true,
    });
    expect(appended(ddb).map((e) => e.type)).toEqual(['OrderExpired']);
  });

  it('leaves an order that closed meanwhile as it is', async () => {
    storeHolds(ddb, history(order, [{ type: 'accept' }, fill('e1', '10')]).events);
    await expect(expireOrder({ orderId: 'ord-1' }, lambdaContext)).resolves.toMatchObject({
      status: 'filled',
      expired: false,
    });
    expect(appended(ddb)).toEqual([]);
  });
});

describe('record-exception', () => {
  const lambdaCause = JSON.stringify({
    errorType: 'ThrottlingException',
    errorMessage:
      'User arn:aws:sts::123456789012:assumed-role/oms-role/fn was throttled on arn:aws:dynamodb:us-east-1:123456789012:table/Events',
    trace: ['ThrottlingException: ...', '    at runCommand (/var/task/index.js:1:2345)'],
  });

  it.each<[string, OrderCommand[], boolean, string[]]>([
    ['before the venue: rejected', [], false, ['OrderExceptionRecorded', 'OrderRejected']],
    ['maybe at the venue: cancel requested', [], true, ['OrderExceptionRecorded', 'OrderCancelRequested']],
    ['already closed: only recorded', [{ type: 'reject', reason: 'x' }], true, ['OrderExceptionRecorded']],
  ])(
    '%s; the event carries a summary of the cause, not the trace',
    async (_name, commands, reachedVenue, types) => {
      storeHolds(ddb, history(order, commands).events);
      await recordException(
        { orderId: 'ord-1', stage: 'submit_to_venue', error: 'Boom', cause: lambdaCause, reachedVenue },
        lambdaContext,
      );
      const events = appended(ddb);
      expect(events.map((e) => e.type)).toEqual(types);
      expect(events[0]?.data).toEqual({
        stage: 'submit_to_venue',
        error: 'Boom',
        reachedVenue,
        cause: 'ThrottlingException: User <arn> was throttled on <arn>',
      });
    },
  );

  it.each<[string, string | null, string]>([
    [
      'a Lambda error: type and message, no trace',
      lambdaCause,
      'ThrottlingException: User <arn> was throttled on <arn>',
    ],
    [
      'a Lambda error with a multi-line message and stackTrace',
      JSON.stringify({ errorType: 'Error', errorMessage: 'first line\nsecond line', stackTrace: ['at x'] }),
      'Error: first line',
    ],
    ['a Lambda error without a message', JSON.stringify({ errorType: 'OrderNotFound' }), 'OrderNotFound'],
    [
      'plain text: its first line',
      'Task timed out after 30.00 seconds\n  at somewhere',
      'Task timed out after 30.00 seconds',
    ],
    ['an account id in text', 'account 123456789012 denied', 'account <account> denied'],
    ['nothing', null, ''],
    ['JSON without the Lambda fields', JSON.stringify({ secret: 'x' }), ''],
  ])('summarizes %s', (_name, cause, summary) => {
    expect(summarizeCause(cause)).toBe(summary);
  });

  it('caps the summary at MAX_CAUSE_LENGTH', () => {
    const long = summarizeCause(JSON.stringify({ errorType: 'Error', errorMessage: 'x'.repeat(5000) }));
    expect(long).toHaveLength(MAX_CAUSE_LENGTH);
    expect(MAX_CAUSE_LENGTH).toBeLessThanOrEqual(200);
  });
});
