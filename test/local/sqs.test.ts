import { createHash } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { failedMessageIds, LocalQueues, MAX_MESSAGE_BYTES, md5OfMessageAttributes } from '../../local/sqs.js';
import {
  type EventSourceMappingSpec,
  type InvokeResult,
  type Invoker,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type QueueSpec,
} from '../../local/types.js';

function queue(logicalId: string, over: Partial<QueueSpec> = {}): QueueSpec {
  const queueName = over.queueName ?? `oms-${logicalId.toLowerCase()}`;
  return {
    logicalId,
    queueName,
    arn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${queueName}`,
    url: `http://localhost:4566/${LOCAL_ACCOUNT_ID}/${queueName}`,
    visibilityTimeoutSeconds: 60,
    messageRetentionSeconds: 4 * 24 * 3600,
    redrive: null,
    ...over,
  };
}

function esm(
  logicalId: string,
  queueLogicalId: string,
  over: Partial<EventSourceMappingSpec> = {},
): EventSourceMappingSpec {
  return {
    logicalId,
    functionLogicalId: `${logicalId}Fn`,
    source: { kind: 'sqs', queueLogicalId },
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: -1,
    maximumRecordAgeSeconds: null,
    filters: [],
    onFailureQueueLogicalId: null,
    startingPosition: null,
    ...over,
  };
}

const DLQ = queue('Dlq', { messageRetentionSeconds: 14 * 24 * 3600 });
const WORK = queue('Work', { redrive: { deadLetterQueueLogicalId: 'Dlq', maxReceiveCount: 3 } });

/** A queue set on a fake clock: queue semantics without waiting. */
function clocked(specs: readonly QueueSpec[], scale = 1): { queues: LocalQueues; advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return {
    queues: new LocalQueues(specs, { now: () => now, visibilityTimeoutScale: scale }),
    advance: (ms) => {
      now += ms;
    },
  };
}

interface Call {
  readonly functionRef: string;
  readonly event: SQSEvent;
  readonly at: number;
}

/** A fake Lambda: records every invocation and answers with `respond`. */
class RecordingInvoker implements Invoker {
  readonly calls: Call[] = [];
  inflight = 0;
  maxInflight = 0;
  constructor(
    private readonly respond: (
      event: SQSEvent,
      call: number,
    ) => InvokeResult | Promise<InvokeResult> = () => ({
      ok: true,
      payload: null,
    }),
  ) {}

  async invoke(functionRef: string, event: unknown): Promise<InvokeResult> {
    const call = this.calls.length;
    this.calls.push({ functionRef, event: event as SQSEvent, at: Date.now() });
    this.inflight += 1;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      return await this.respond(event as SQSEvent, call);
    } finally {
      this.inflight -= 1;
    }
  }

  bodies(): string[][] {
    return this.calls.map((c) => c.event.Records.map((r) => r.body));
  }
}

/** Waits for `condition`; generous, because the full suite runs local modes beside this file. */
async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LocalQueues: queue semantics', () => {
  test.each([
    ['logical id', WORK.logicalId],
    ['name', WORK.queueName],
    ['ARN', WORK.arn],
    ['URL', WORK.url],
  ])('a queue is addressed by its %s', (_kind, ref) => {
    const { queues } = clocked([WORK, DLQ]);
    const { messageId } = queues.send(ref, 'hello');
    expect(queues.messages(WORK.logicalId).map((m) => m.messageId)).toEqual([messageId]);
    expect(queues.resolve(ref)?.logicalId).toBe('Work');
  });

  test('plain string attributes are String message attributes', () => {
    const { queues } = clocked([WORK, DLQ]);
    queues.send('Work', 'x', { reason: 'exhausted', typed: { dataType: 'Number', stringValue: '3' } });
    expect(queues.receive('Work')[0]?.messageAttributes).toEqual({
      reason: { dataType: 'String', stringValue: 'exhausted' },
      typed: { dataType: 'Number', stringValue: '3' },
    });
  });

  test('an unknown queue is AWS.SimpleQueueService.NonExistentQueue', () => {
    const { queues } = clocked([WORK, DLQ]);
    expect(() => queues.send('nope', 'x')).toThrow(
      expect.objectContaining({ name: 'AWS.SimpleQueueService.NonExistentQueue' }),
    );
  });

  test('a redrive to a queue missing from the topology is refused up front', () => {
    expect(() => new LocalQueues([WORK])).toThrow(/Dlq is not in the topology/);
  });

  test.each([
    ['empty', '', true],
    ['one byte', 'x', false],
    ['at the limit', 'x'.repeat(MAX_MESSAGE_BYTES), false],
    ['over the limit', 'x'.repeat(MAX_MESSAGE_BYTES + 1), true],
  ])('body size %s', (_case, body, refused) => {
    const { queues } = clocked([WORK, DLQ]);
    const send = () => queues.send('Work', body);
    if (refused) expect(send).toThrow(expect.objectContaining({ name: 'InvalidParameterValue' }));
    else expect(send).not.toThrow();
  });

  test('a received message is invisible for the visibility timeout, then comes back with a new handle', () => {
    const { queues, advance } = clocked([WORK, DLQ]);
    const { messageId } = queues.send('Work', 'order-1');
    const [first] = queues.receive('Work');
    expect(first).toMatchObject({ messageId, body: 'order-1', attributes: { ApproximateReceiveCount: '1' } });
    expect(queues.receive('Work')).toEqual([]);
    advance(59_999);
    expect(queues.receive('Work')).toEqual([]);
    advance(1);
    const [second] = queues.receive('Work');
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    expect(second?.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first?.attributes.ApproximateFirstReceiveTimestamp,
    );
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    // Only the latest receipt handle deletes.
    expect(queues.deleteMessage('Work', first?.receiptHandle ?? '')).toBe(false);
    expect(queues.messages('Work')).toHaveLength(1);
    expect(queues.deleteMessage('Work', second?.receiptHandle ?? '')).toBe(true);
    expect(queues.messages('Work')).toEqual([]);
  });

  test.each([
    [1, 60_000],
    [0.05, 3_000],
    [0.01, 600],
  ])('visibilityTimeoutScale %p makes the 60 s timeout %p ms', (scale, visibleAfterMs) => {
    const { queues, advance } = clocked([WORK, DLQ], scale);
    queues.send('Work', 'x');
    queues.receive('Work');
    advance(visibleAfterMs - 1);
    expect(queues.messages('Work')[0]?.visible).toBe(false);
    advance(1);
    expect(queues.messages('Work')[0]?.visible).toBe(true);
  });

  test('explicit visibility timeouts and ChangeMessageVisibility', () => {
    const { queues, advance } = clocked([WORK, DLQ], 0.5);
    queues.send('Work', 'x');
    const [m] = queues.receive('Work', { visibilityTimeoutSeconds: 10 });
    advance(4_000);
    expect(queues.receive('Work')).toEqual([]);
    queues.changeMessageVisibility('Work', m?.receiptHandle ?? '', 0);
    expect(queues.receive('Work')).toHaveLength(1);
    expect(() => queues.changeMessageVisibility('Work', m?.receiptHandle ?? '', 0)).toThrow(
      expect.objectContaining({ name: 'ReceiptHandleIsInvalid' }),
    );
  });

  test('delaySeconds hides a new message', () => {
    const { queues, advance } = clocked([WORK, DLQ]);
    queues.send('Work', 'later', {}, { delaySeconds: 5 });
    expect(queues.receive('Work')).toEqual([]);
    advance(5_000);
    expect(queues.receive('Work')).toHaveLength(1);
  });

  test('receive honours maxNumberOfMessages and hands out oldest first', () => {
    const { queues } = clocked([WORK, DLQ]);
    for (const body of ['a', 'b', 'c', 'd']) queues.send('Work', body);
    expect(queues.receive('Work', { maxNumberOfMessages: 3 }).map((m) => m.body)).toEqual(['a', 'b', 'c']);
    expect(queues.receive('Work', { maxNumberOfMessages: 3 }).map((m) => m.body)).toEqual(['d']);
  });

  test.each([1, 10, 11, 25, 49])(
    'receives that leave messages visible (a peek) walk the whole queue, %p messages, 10 at a time',
    (count) => {
      // The exceptions view peeks a dead-letter queue with VisibilityTimeout 0: oldest-first without
      // rotation showed the same ten forever, and no dead letter after them.
      const { queues } = clocked([WORK, DLQ]);
      const sent = Array.from({ length: count }, (_, i) => queues.send('Work', `m${i}`).messageId);
      const seen = new Set<string>();
      for (let round = 0; round < Math.ceil(count / 10); round += 1) {
        for (const m of queues.receive('Work', { maxNumberOfMessages: 10, visibilityTimeoutSeconds: 0 }))
          seen.add(m.messageId);
      }
      expect([...seen].sort()).toEqual([...sent].sort());
      expect(queues.messages('Work')).toHaveLength(count);
    },
  );

  test.each([1, 2, 3, 5])(
    'redrive: maxReceiveCount %p receives, then the message is in the DLQ',
    (maxReceiveCount) => {
      const work = queue('Work', { redrive: { deadLetterQueueLogicalId: 'Dlq', maxReceiveCount } });
      const { queues, advance } = clocked([work, DLQ]);
      const { messageId } = queues.send('Work', 'poison', {
        kind: { dataType: 'String', stringValue: 'report' },
      });
      const sent = queues.messages('Work')[0]?.sentTimestamp;
      for (let i = 1; i <= maxReceiveCount; i += 1) {
        expect(queues.receive('Work').map((m) => m.attributes.ApproximateReceiveCount)).toEqual([String(i)]);
        advance(60_000);
      }
      expect(queues.receive('Work')).toEqual([]);
      expect(queues.messages('Work')).toEqual([]);
      const [dead] = queues.messages('Dlq');
      expect(dead).toMatchObject({ messageId, body: 'poison', sentTimestamp: sent, receiveCount: 0 });
      expect(dead?.deadLetterQueueSourceArn).toBe(work.arn);
      const [fromDlq] = queues.receive('Dlq');
      expect(fromDlq?.attributes).toMatchObject({
        DeadLetterQueueSourceArn: work.arn,
        ApproximateReceiveCount: '1',
        SentTimestamp: String(sent),
      });
      expect(fromDlq?.messageAttributes).toEqual({ kind: { dataType: 'String', stringValue: 'report' } });
    },
  );

  test('retention drops old messages, in the DLQ counted from the first send', () => {
    const work = queue('Work', {
      messageRetentionSeconds: 100,
      redrive: { deadLetterQueueLogicalId: 'Dlq', maxReceiveCount: 1 },
    });
    const dlq = queue('Dlq', { messageRetentionSeconds: 200 });
    const { queues, advance } = clocked([work, dlq]);
    queues.send('Work', 'a');
    queues.receive('Work');
    advance(60_000);
    expect(queues.receive('Work')).toEqual([]); // redriven
    queues.send('Work', 'b');
    advance(99_000);
    expect(queues.messages('Work').map((m) => m.body)).toEqual(['b']);
    advance(1_000);
    expect(queues.messages('Work')).toEqual([]);
    expect(queues.messages('Dlq').map((m) => m.body)).toEqual(['a']);
    advance(40_000); // 200 s after 'a' was first sent
    expect(queues.messages('Dlq')).toEqual([]);
  });

  test('purge empties a queue', () => {
    const { queues } = clocked([WORK, DLQ]);
    queues.send('Work', 'a');
    queues.receive('Work');
    queues.send('Work', 'b');
    queues.purge('Work');
    expect(queues.messages('Work')).toEqual([]);
  });
});

describe('md5OfMessageAttributes', () => {
  test('none -> null', () => {
    expect(md5OfMessageAttributes({})).toBeNull();
  });

  test('does not depend on the order of the names, but on every name, type and value', () => {
    const attribute = fc.record({
      dataType: fc.constantFrom('String', 'Number', 'String.custom'),
      stringValue: fc.string({ minLength: 1 }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), attribute, { minKeys: 1, maxKeys: 5 }),
        (attrs) => {
          const reversed = Object.fromEntries(Object.entries(attrs).reverse());
          expect(md5OfMessageAttributes(reversed)).toBe(md5OfMessageAttributes(attrs));
          const [name, value] = Object.entries(attrs)[0] as [
            string,
            { dataType: string; stringValue: string },
          ];
          const changed = { ...attrs, [name]: { ...value, stringValue: `${value.stringValue}!` } };
          expect(md5OfMessageAttributes(changed)).not.toBe(md5OfMessageAttributes(attrs));
          const retyped = { ...attrs, [name]: { ...value, dataType: `${value.dataType}.x` } };
          expect(md5OfMessageAttributes(retyped)).not.toBe(md5OfMessageAttributes(attrs));
        },
      ),
    );
  });

  test('a binary value differs from the same bytes as a string (transport type byte)', () => {
    const asString = md5OfMessageAttributes({ a: { dataType: 'Binary', stringValue: 'hi' } });
    const asBinary = md5OfMessageAttributes({
      a: { dataType: 'Binary', binaryValue: Buffer.from('hi').toString('base64') },
    });
    expect(asBinary).not.toBe(asString);
  });
});

describe('failedMessageIds (what a batch keeps)', () => {
  const ids = ['m1', 'm2', 'm3'];
  const all = new Set(ids);
  const none = new Set<string>();
  test.each<[string, InvokeResult | undefined, boolean, Set<string>]>([
    ['function error', { ok: false, errorType: 'Error', errorMessage: 'x' }, true, all],
    ['invoke threw', undefined, true, all],
    ['success, null payload', { ok: true, payload: null }, true, none],
    ['success, empty failures', { ok: true, payload: { batchItemFailures: [] } }, true, none],
    ['success, null failures', { ok: true, payload: { batchItemFailures: null } }, true, none],
    ['success, unrelated object', { ok: true, payload: { done: 1 } }, true, none],
    [
      'one failure',
      { ok: true, payload: { batchItemFailures: [{ itemIdentifier: 'm2' }] } },
      true,
      new Set(['m2']),
    ],
    [
      'two failures',
      { ok: true, payload: { batchItemFailures: [{ itemIdentifier: 'm3' }, { itemIdentifier: 'm1' }] } },
      true,
      new Set(['m1', 'm3']),
    ],
    [
      'unknown identifier fails the batch',
      { ok: true, payload: { batchItemFailures: [{ itemIdentifier: 'zz' }] } },
      true,
      all,
    ],
    [
      'empty identifier fails the batch',
      { ok: true, payload: { batchItemFailures: [{ itemIdentifier: '' }] } },
      true,
      all,
    ],
    ['missing identifier fails the batch', { ok: true, payload: { batchItemFailures: [{}] } }, true, all],
    ['failures not a list', { ok: true, payload: { batchItemFailures: 'm1' } }, true, all],
    ['a string payload fails the batch', { ok: true, payload: 'oops' }, true, all],
    [
      'failures ignored without reportBatchItemFailures',
      { ok: true, payload: { batchItemFailures: [{ itemIdentifier: 'm1' }] } },
      false,
      none,
    ],
  ])('%s', (_case, result, report, expected) => {
    expect(failedMessageIds(result, ids, report)).toEqual(expected);
  });
});

describe('LocalQueues: event source mappings', () => {
  const FAST_WORK = queue('Work', {
    visibilityTimeoutSeconds: 10,
    redrive: { deadLetterQueueLogicalId: 'Dlq', maxReceiveCount: 3 },
  });
  let queues: LocalQueues;

  beforeEach(() => {
    // 10 s visibility timeout x 0.02 = 200 ms before a failed message is retried.
    queues = new LocalQueues([FAST_WORK, DLQ], { visibilityTimeoutScale: 0.02 });
  });

  afterEach(async () => {
    await queues.close();
  });

  test('invokes with the real SQSEvent shape and deletes on success', async () => {
    const invoker = new RecordingInvoker();
    const before = Date.now();
    const { messageId } = queues.send(
      'Work',
      '{"detail":1}',
      { trace: { dataType: 'String', stringValue: 't-1' } },
      { senderId: 'AIDAEVENTS' },
    );
    queues.startEventSourceMappings([esm('Apply', 'Work')], invoker);
    await until(() => invoker.calls.length === 1 && queues.messages('Work').length === 0);
    const call = invoker.calls[0] as Call;
    expect(call.functionRef).toBe('ApplyFn');
    expect(Object.keys(call.event)).toEqual(['Records']);
    const record = call.event.Records[0];
    expect(record).toEqual({
      messageId,
      receiptHandle: expect.any(String),
      body: '{"detail":1}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: 'AIDAEVENTS',
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: { trace: { dataType: 'String', stringValue: 't-1' } },
      md5OfBody: createHash('md5').update('{"detail":1}').digest('hex'),
      md5OfMessageAttributes: md5OfMessageAttributes({ trace: { dataType: 'String', stringValue: 't-1' } }),
      eventSource: 'aws:sqs',
      eventSourceARN: FAST_WORK.arn,
      awsRegion: LOCAL_REGION,
    });
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThanOrEqual(before);
  });

  test('mappings of other sources are ignored; an unknown queue is refused', () => {
    const invoker = new RecordingInvoker();
    const stream = esm('Stream', 'Work', { source: { kind: 'dynamodb-stream', tableLogicalId: 'Events' } });
    expect(() => queues.startEventSourceMappings([stream], invoker)).not.toThrow();
    expect(() => queues.startEventSourceMappings([esm('X', 'Nope')], invoker)).toThrow(/Nope is unknown/);
  });

  test('batches never exceed batchSize and every message is delivered once', async () => {
    const invoker = new RecordingInvoker();
    const bodies = Array.from({ length: 7 }, (_, i) => `m${i}`);
    for (const body of bodies) queues.send('Work', body);
    queues.startEventSourceMappings([esm('Apply', 'Work', { batchSize: 3 })], invoker);
    await until(() => queues.messages('Work').length === 0);
    const batches = invoker.bodies();
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().sort()).toEqual(bodies);
  });

  test('the batching window gathers messages sent within it into one invocation', async () => {
    const invoker = new RecordingInvoker();
    queues.startEventSourceMappings([esm('Apply', 'Work', { maximumBatchingWindowSeconds: 1 })], invoker);
    const first = Date.now();
    queues.send('Work', 'a');
    await sleep(100);
    queues.send('Work', 'b');
    await until(() => invoker.calls.length >= 1);
    await sleep(100);
    expect(invoker.bodies()).toEqual([['a', 'b']]);
    expect((invoker.calls[0] as Call).at - first).toBeGreaterThanOrEqual(980);
  });

  test('a full batch does not wait for the window', async () => {
    const invoker = new RecordingInvoker();
    queues.startEventSourceMappings(
      [esm('Apply', 'Work', { batchSize: 2, maximumBatchingWindowSeconds: 5 })],
      invoker,
    );
    const sent = Date.now();
    queues.send('Work', 'a');
    queues.send('Work', 'b');
    queues.send('Work', 'c');
    await until(() => invoker.calls.length === 1, 2000);
    expect((invoker.calls[0] as Call).at - sent).toBeLessThan(2500);
    expect(invoker.bodies()).toEqual([['a', 'b']]);
  });

  test('partial batch failure deletes only the successes; the failed one comes back after the visibility timeout', async () => {
    let queuedAtRetry: string[] = [];
    const invoker = new RecordingInvoker((event, call) => {
      if (call > 0) {
        queuedAtRetry = queues.messages('Work').map((m) => m.body);
        return { ok: true, payload: { batchItemFailures: [] } };
      }
      const b = event.Records.find((r) => r.body === 'b');
      return { ok: true, payload: { batchItemFailures: [{ itemIdentifier: b?.messageId }] } };
    });
    for (const body of ['a', 'b', 'c']) queues.send('Work', body);
    queues.startEventSourceMappings([esm('Apply', 'Work')], invoker);
    await until(() => invoker.calls.length === 2);
    // When the failed message came back, the successes had been deleted.
    expect(queuedAtRetry).toEqual(['b']);
    const retry = invoker.calls[1] as Call;
    expect(retry.event.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      ['b', '2'],
    ]);
    expect(retry.at - (invoker.calls[0] as Call).at).toBeGreaterThanOrEqual(180);
    await until(() => queues.messages('Work').length === 0);
  });

  test('without reportBatchItemFailures a success deletes the whole batch', async () => {
    const invoker = new RecordingInvoker((event) => ({
      ok: true,
      payload: { batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId }] },
    }));
    queues.send('Work', 'a');
    queues.send('Work', 'b');
    queues.startEventSourceMappings([esm('Apply', 'Work', { reportBatchItemFailures: false })], invoker);
    await until(() => queues.messages('Work').length === 0);
    await sleep(300);
    expect(invoker.calls).toHaveLength(1);
  });

  test('a function error deletes nothing; after maxReceiveCount receives the messages go to the DLQ', async () => {
    const invoker = new RecordingInvoker(() => ({ ok: false, errorType: 'Error', errorMessage: 'down' }));
    queues.send('Work', 'a');
    queues.send('Work', 'b');
    queues.startEventSourceMappings([esm('Apply', 'Work')], invoker);
    await until(() => queues.messages('Dlq').length === 2);
    expect(queues.messages('Work')).toEqual([]);
    const counts = invoker.calls.map((c) => c.event.Records.map((r) => r.attributes.ApproximateReceiveCount));
    expect(counts).toEqual([
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
    ]);
    expect(
      queues
        .messages('Dlq')
        .map((m) => m.body)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  test('an invoker that throws is reported and the batch is retried', async () => {
    const errors: string[] = [];
    let calls = 0;
    const invoker: Invoker = {
      invoke: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' });
        return { ok: true, payload: null };
      },
    };
    queues.send('Work', 'a');
    queues.startEventSourceMappings([esm('Apply', 'Work')], invoker, {
      onError: (id, err) => errors.push(`${id}:${(err as Error).name}`),
    });
    await until(() => queues.messages('Work').length === 0);
    expect(calls).toBe(2);
    expect(errors).toEqual(['Apply:ResourceNotFoundException']);
  });

  test('a batch stays invisible while its function runs longer than the scaled visibility timeout', async () => {
    const invoker = new RecordingInvoker(async () => {
      await sleep(500);
      return { ok: true, payload: null };
    });
    queues.send('Work', 'slow');
    queues.startEventSourceMappings([esm('Apply', 'Work')], invoker);
    await until(() => queues.messages('Work').length === 0);
    expect(invoker.calls).toHaveLength(1);
  });

  test.each([1, 2])('at most concurrency=%p batches are in flight', async (concurrency) => {
    const invoker = new RecordingInvoker(async () => {
      await sleep(60);
      return { ok: true, payload: null };
    });
    for (let i = 0; i < 6; i += 1) queues.send('Work', `m${i}`);
    queues.startEventSourceMappings([esm('Apply', 'Work', { batchSize: 1 })], invoker, { concurrency });
    await until(() => queues.messages('Work').length === 0);
    expect(invoker.maxInflight).toBe(concurrency);
    expect(invoker.calls).toHaveLength(6);
  });

  test('filter criteria: non-matching messages are deleted without an invocation', async () => {
    const invoker = new RecordingInvoker();
    const matchesPattern = (pattern: unknown, event: unknown): boolean =>
      (event as { body: { type?: string } }).body.type ===
      (pattern as { body: { type: string[] } }).body.type[0];
    const mapping = esm('Apply', 'Work', { filters: [{ body: { type: ['keep'] } }] });
    expect(() => queues.startEventSourceMappings([mapping], invoker)).toThrow(/matchesPattern/);
    queues.send('Work', '{"type":"drop"}');
    queues.send('Work', '{"type":"keep"}');
    queues.startEventSourceMappings([mapping], invoker, { matchesPattern });
    await until(() => queues.messages('Work').length === 0);
    expect(invoker.bodies()).toEqual([['{"type":"keep"}']]);
  });

  test('stop() ends polling: later messages stay in the queue', async () => {
    const invoker = new RecordingInvoker();
    const handle = queues.startEventSourceMappings([esm('Apply', 'Work')], invoker);
    queues.send('Work', 'a');
    await until(() => invoker.calls.length === 1);
    await handle.stop();
    queues.send('Work', 'b');
    await sleep(150);
    expect(invoker.calls).toHaveLength(1);
    expect(queues.messages('Work').map((m) => m.body)).toEqual(['b']);
  });
});
