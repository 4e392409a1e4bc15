import fc from 'fast-check';
import { LocalServiceError } from '../../local/errors.js';
import {
  type EventBridgeEvent,
  jsonDepth,
  LocalEventBridge,
  type LocalEventBridgeOptions,
  parseRateExpression,
} from '../../local/event-bridge.js';
import type { InvokeResult, LocalTopology, RuleSpec } from '../../local/types.js';

const BUS_ARN = 'arn:aws:events:us-east-1:000000000000:event-bus/stockbot-oms';
const SM_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:lifecycle';

function rule(partial: Partial<RuleSpec> & Pick<RuleSpec, 'name' | 'targets'>): RuleSpec {
  return {
    logicalId: partial.name,
    eventBusName: 'stockbot-oms',
    eventPattern: null,
    scheduleExpression: null,
    enabled: true,
    ...partial,
  };
}

const topology: Pick<LocalTopology, 'eventBuses' | 'rules' | 'stateMachines'> = {
  eventBuses: [{ logicalId: 'EventsBus', name: 'stockbot-oms', arn: BUS_ARN }],
  stateMachines: [
    { logicalId: 'Lifecycle', name: 'lifecycle', arn: SM_ARN, type: 'STANDARD', definition: {} },
  ],
  rules: [
    rule({
      name: 'AcceptedToLambda',
      eventPattern: { source: ['stockbot.oms'], 'detail-type': ['OrderAccepted'] },
      targets: [{ kind: 'lambda', id: 'T1', functionLogicalId: 'OnAccepted' }],
    }),
    rule({
      name: 'OmsToQueue',
      eventPattern: { source: ['stockbot.oms'] },
      targets: [
        { kind: 'sqs', id: 'T1', queueLogicalId: 'DashboardQueue', deadLetterQueueLogicalId: 'DashboardDlq' },
      ],
    }),
    rule({
      name: 'VenueToWorkflow',
      eventPattern: { source: ['stockbot.venue'] },
      targets: [{ kind: 'state-machine', id: 'T1', stateMachineLogicalId: 'Lifecycle' }],
    }),
    rule({
      name: 'Warehouse',
      eventPattern: { source: ['stockbot.oms'] },
      targets: [
        { kind: 'recorder', id: 'Firehose', arn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/w' },
      ],
    }),
    rule({
      name: 'Disabled',
      enabled: false,
      eventPattern: { source: ['stockbot.oms'] },
      targets: [{ kind: 'recorder', id: 'DisabledRecorder', arn: 'x' }],
    }),
    rule({
      name: 'OnDefaultBus',
      eventBusName: null,
      eventPattern: { source: ['stockbot.oms'] },
      targets: [{ kind: 'recorder', id: 'DefaultRecorder', arn: 'x' }],
    }),
    rule({
      name: 'Tick',
      eventBusName: null,
      scheduleExpression: 'rate(1 minute)',
      targets: [{ kind: 'lambda', id: 'T1', functionLogicalId: 'MarketTick' }],
    }),
    rule({
      name: 'Nightly',
      eventBusName: null,
      scheduleExpression: 'cron(0 12 * * ? *)',
      targets: [{ kind: 'lambda', id: 'T1', functionLogicalId: 'Nightly' }],
    }),
  ],
};

interface Fakes {
  invocations: Array<{ ref: string; event: EventBridgeEvent }>;
  sends: Array<{ queue: string; body: string }>;
  executions: Array<{ action: string; input: Record<string, unknown> }>;
  logs: string[];
}

function setup(
  overrides: {
    invoke?: (ref: string, event: unknown) => Promise<InvokeResult>;
    send?: (queue: string, body: string) => unknown;
    options?: Partial<LocalEventBridgeOptions>;
  } = {},
): { eb: LocalEventBridge; fakes: Fakes } {
  const fakes: Fakes = { invocations: [], sends: [], executions: [], logs: [] };
  const eb = new LocalEventBridge(topology, {
    invoker: {
      invoke: async (ref, event) => {
        fakes.invocations.push({ ref, event: event as EventBridgeEvent });
        return overrides.invoke ? overrides.invoke(ref, event) : { ok: true, payload: null };
      },
    },
    queues: {
      send: (queue, body) => {
        fakes.sends.push({ queue, body });
        return overrides.send?.(queue, body);
      },
    },
    stepFunctions: {
      handle: async (action, input) => {
        fakes.executions.push({ action, input });
        return { executionArn: 'arn:exec', startDate: 0 };
      },
    },
    retryDelaysMs: [5, 5],
    log: (m) => fakes.logs.push(m),
    ...overrides.options,
  });
  return { eb, fakes };
}

const omsEntry = (detailType: string, orderId: string, seq = 1) => ({
  EventBusName: 'stockbot-oms',
  Source: 'stockbot.oms',
  DetailType: detailType,
  Detail: JSON.stringify({ metadata: { orderId, seq }, data: {} }),
});

const opened: LocalEventBridge[] = [];
afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(opened.splice(0).map((eb) => eb.close()));
});
function open(...args: Parameters<typeof setup>) {
  const r = setup(...args);
  opened.push(r.eb);
  return r;
}

/** `{"a":{"a":...{}}}`, `levels` objects deep. */
const nestedJson = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

describe('PutEvents validation', () => {
  it('a Detail nested 1000 levels deep is accepted, delivered and listed', async () => {
    const { eb } = open();
    const deep = { ...omsEntry('OrderAccepted', 'o-deep'), Detail: nestedJson(1000) };
    const out = (await eb.handle('PutEvents', { Entries: [deep] })) as { FailedEntryCount: number };
    expect(out.FailedEntryCount).toBe(0);
    await eb.idle();
    expect(eb.delivered()).toHaveLength(1);
    expect(jsonDepth(eb.delivered()[0]?.detail)).toBe(1000);
  });

  it.each([
    [1, {}],
    [3, { a: [1, { b: null }] }],
    [1001, JSON.parse(nestedJson(1001))],
  ])('jsonDepth: %d levels (case %#)', (depth, value) => {
    expect(jsonDepth(value)).toBe(depth);
  });

  const valid = omsEntry('OrderAccepted', 'o-1');
  it.each([
    ['missing Source', 'InvalidArgument', { ...valid, Source: undefined }, /Source/],
    ['empty Source', 'InvalidArgument', { ...valid, Source: '' }, /Source/],
    ['missing DetailType', 'InvalidArgument', { ...valid, DetailType: undefined }, /DetailType/],
    ['missing Detail', 'InvalidArgument', { ...valid, Detail: undefined }, /Detail/],
    ['Detail not JSON', 'MalformedDetail', { ...valid, Detail: '{nope' }, /malformed/],
    ['Detail a JSON array', 'MalformedDetail', { ...valid, Detail: '[1,2]' }, /malformed/],
    ['Detail a JSON string', 'MalformedDetail', { ...valid, Detail: '"x"' }, /malformed/],
    ['Detail JSON null', 'MalformedDetail', { ...valid, Detail: 'null' }, /malformed/],
    ['Detail an object, not a string', 'MalformedDetail', { ...valid, Detail: { a: 1 } }, /malformed/],
    // PutEvents processes nested JSON up to 1000 levels (a hostile probe's 5,000 overflowed the stack).
    ['Detail nested 1001 levels', 'MalformedDetail', { ...valid, Detail: nestedJson(1001) }, /malformed/],
    ['Detail nested 5000 levels', 'MalformedDetail', { ...valid, Detail: nestedJson(5000) }, /malformed/],
    ['reserved aws. source', 'NotAuthorizedForSourceException', { ...valid, Source: 'aws.events' }, /source/],
    ['unknown bus', 'ResourceNotFoundException', { ...valid, EventBusName: 'nope' }, /nope/],
    ['Resources not strings', 'InvalidArgument', { ...valid, Resources: [1] }, /Resources/],
    ['Time not a time', 'InvalidArgument', { ...valid, Time: 'yesterday' }, /Time/],
    ['entry not an object', 'InvalidArgument', 'str', /Entry/],
  ])('%s → per-entry %s, other entries accepted', async (_name, code, bad, message) => {
    const { eb, fakes } = open();
    const out = (await eb.handle('PutEvents', { Entries: [valid, bad, valid] })) as {
      FailedEntryCount: number;
      Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
    };
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries).toHaveLength(3);
    expect(out.Entries[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries[2]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries[0]?.EventId).not.toBe(out.Entries[2]?.EventId);
    expect(out.Entries[1]).toEqual({ ErrorCode: code, ErrorMessage: expect.stringMatching(message) });
    await eb.idle();
    // Only the two valid entries reached the bus.
    expect(eb.delivered().map((e) => e.id)).toEqual([out.Entries[0]?.EventId, out.Entries[2]?.EventId]);
    expect(fakes.sends).toHaveLength(2);
  });

  it.each([
    ['more than 10 entries', Array.from({ length: 11 }, () => valid), /less than or equal to 10/],
    ['no entries', [], /greater than or equal to 1/],
    ['Entries missing', undefined, /entries/],
    [
      'over the request size limit',
      [{ ...valid, Detail: JSON.stringify({ x: 'a'.repeat(300_000) }) }],
      /size/,
    ],
  ])('%s → ValidationException for the whole call, nothing put', async (_name, entries, message) => {
    const { eb, fakes } = open();
    const call = eb.handle('PutEvents', entries === undefined ? {} : { Entries: entries });
    await expect(call).rejects.toBeInstanceOf(LocalServiceError);
    await expect(call).rejects.toMatchObject({ type: 'ValidationException', status: 400, message });
    await eb.idle();
    expect(eb.delivered()).toEqual([]);
    expect(fakes.sends).toEqual([]);
  });

  it('exactly 10 entries are accepted', async () => {
    const { eb } = open();
    const out = await eb.handle('PutEvents', { Entries: Array.from({ length: 10 }, () => valid) });
    expect(out.FailedEntryCount).toBe(0);
    expect(eb.delivered()).toHaveLength(10);
  });

  it('any other action is an UnknownOperationException', async () => {
    const { eb } = open();
    await expect(eb.handle('ListRules', {})).rejects.toMatchObject({ type: 'UnknownOperationException' });
  });
});

describe('the event a target receives', () => {
  it('has the EventBridge shape; Time as epoch seconds, ISO text or absent (now); bus by name or ARN', async () => {
    const { eb } = open();
    const before = Date.now();
    const out = (await eb.handle('PutEvents', {
      Entries: [
        { ...omsEntry('OrderAccepted', 'o-1'), Time: 1_700_000_000, Resources: ['arn:x'] },
        { ...omsEntry('OrderAccepted', 'o-2'), EventBusName: BUS_ARN, Time: '2024-03-01T10:20:30.456Z' },
        omsEntry('OrderAccepted', 'o-3'),
      ],
    })) as { Entries: Array<{ EventId: string }> };
    const [a, b, c] = eb.delivered();
    expect(a).toEqual({
      version: '0',
      id: out.Entries[0]?.EventId,
      'detail-type': 'OrderAccepted',
      source: 'stockbot.oms',
      account: '000000000000',
      time: '2023-11-14T22:13:20Z',
      region: 'us-east-1',
      resources: ['arn:x'],
      detail: { metadata: { orderId: 'o-1', seq: 1 }, data: {} },
    });
    expect(b?.time).toBe('2024-03-01T10:20:30Z');
    expect(b?.resources).toEqual([]);
    const t = Date.parse(c?.time ?? '');
    expect(t).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe('rule dispatch', () => {
  it('delivers to every matching enabled rule of the bus, after PutEvents returned', async () => {
    const { eb, fakes } = open();
    await eb.handle('PutEvents', {
      Entries: [
        omsEntry('OrderAccepted', 'o-1'),
        omsEntry('OrderFilled', 'o-1', 2),
        {
          EventBusName: 'stockbot-oms',
          Source: 'stockbot.venue',
          DetailType: 'ExecutionReport',
          Detail: '{"orderId":"o-1"}',
        },
      ],
    });
    // PutEvents answered before any target saw the events.
    expect(fakes.invocations).toEqual([]);
    expect(fakes.sends).toEqual([]);
    await eb.idle();
    const [accepted, filled, report] = eb.delivered();

    // Lambda target: only the OrderAccepted rule matched.
    expect(fakes.invocations).toEqual([{ ref: 'OnAccepted', event: accepted }]);
    // SQS target: both OMS events, as JSON bodies, in order.
    expect(fakes.sends).toEqual([
      { queue: 'DashboardQueue', body: JSON.stringify(accepted) },
      { queue: 'DashboardQueue', body: JSON.stringify(filled) },
    ]);
    // State machine target: the venue report starts an execution with the event as input.
    expect(fakes.executions).toEqual([
      { action: 'StartExecution', input: { stateMachineArn: SM_ARN, input: JSON.stringify(report) } },
    ]);
    // Recorder target keeps what it received; disabled rules and other buses' rules never fire.
    expect(eb.recorded('Firehose')).toEqual([accepted, filled]);
    expect(eb.recorded('Warehouse/Firehose')).toEqual([accepted, filled]);
    expect(eb.recorded('arn:aws:firehose:us-east-1:000000000000:deliverystream/w')).toEqual([
      accepted,
      filled,
    ]);
    expect(eb.recorded('OmsToQueue/Firehose')).toEqual([]);
    expect(eb.recorded('DisabledRecorder')).toEqual([]);
    expect(eb.recorded('DefaultRecorder')).toEqual([]);
    expect(eb.failedDeliveries()).toEqual([]);
  });

  it('events on the default bus reach only default-bus rules and are not in delivered()', async () => {
    const { eb, fakes } = open();
    const { EventBusName: _ignored, ...entry } = omsEntry('OrderAccepted', 'o-1');
    await eb.handle('PutEvents', { Entries: [entry, { ...entry, EventBusName: 'default' }] });
    await eb.idle();
    expect(eb.recorded('DefaultRecorder')).toHaveLength(2);
    expect(fakes.invocations).toEqual([]);
    expect(fakes.sends).toEqual([]);
    expect(eb.delivered()).toEqual([]);
  });

  it('subscribers see every accepted event with its bus', async () => {
    const { eb } = open();
    const seen: Array<[string, string]> = [];
    const off = eb.subscribe((e, bus) => seen.push([e['detail-type'], bus]));
    const { EventBusName: _ignored, ...onDefault } = omsEntry('A', 'o-1');
    await eb.handle('PutEvents', { Entries: [omsEntry('B', 'o-1'), onDefault, { Source: 'x' }] });
    off();
    await eb.handle('PutEvents', { Entries: [omsEntry('C', 'o-1')] });
    expect(seen).toEqual([
      ['B', 'stockbot-oms'],
      ['A', 'default'],
    ]);
  });
});

describe('asynchronous Lambda invocation', () => {
  it('retries a failing function twice, then drops the event and records the failure', async () => {
    const { eb, fakes } = open({
      invoke: async () => ({ ok: false, errorType: 'TypeError', errorMessage: 'boom' }),
    });
    await eb.handle('PutEvents', { Entries: [omsEntry('OrderAccepted', 'o-1')] });
    await eb.idle();
    expect(fakes.invocations).toHaveLength(3);
    const [event] = eb.delivered();
    expect(fakes.invocations.every((i) => i.event === event)).toBe(true);
    expect(eb.failedDeliveries()).toEqual([
      {
        ruleName: 'AcceptedToLambda',
        targetId: 'T1',
        targetKind: 'lambda',
        event,
        attempts: 3,
        errorType: 'TypeError',
        errorMessage: 'boom',
        at: expect.any(String),
      },
    ]);
    expect(fakes.logs.some((l) => l.includes('AcceptedToLambda') && l.includes('boom'))).toBe(true);
  });

  it.each([
    [
      'an error result',
      { ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'timed out' } as InvokeResult,
    ],
    ['a thrown invoker error', new Error('runtime crashed')],
  ])('succeeds on the retry after %s: no failure recorded', async (_name, firstOutcome) => {
    let calls = 0;
    const { eb, fakes } = open({
      invoke: async () => {
        calls += 1;
        if (calls > 1) return { ok: true, payload: null };
        if (firstOutcome instanceof Error) throw firstOutcome;
        return firstOutcome;
      },
    });
    await eb.handle('PutEvents', { Entries: [omsEntry('OrderAccepted', 'o-1')] });
    await eb.idle();
    expect(fakes.invocations).toHaveLength(2);
    expect(eb.failedDeliveries()).toEqual([]);
  });

  it('an SQS target that keeps failing sends the event to its dead-letter queue', async () => {
    const { eb, fakes } = open({
      send: (queue) => {
        if (queue === 'DashboardQueue') throw new Error('queue down');
      },
    });
    await eb.handle('PutEvents', { Entries: [omsEntry('OrderFilled', 'o-1')] });
    await eb.idle();
    const [event] = eb.delivered();
    expect(fakes.sends.map((s) => s.queue)).toEqual([
      'DashboardQueue',
      'DashboardQueue',
      'DashboardQueue',
      'DashboardDlq',
    ]);
    expect(fakes.sends[3]?.body).toBe(JSON.stringify(event));
    expect(eb.failedDeliveries()).toEqual([]);
  });
});

describe('delivered()', () => {
  it('filters by order id, source and detail type, in arrival order across calls', async () => {
    const { eb } = open();
    await eb.handle('PutEvents', {
      Entries: [omsEntry('OrderSubmitted', 'A', 1), omsEntry('OrderSubmitted', 'B', 1)],
    });
    await eb.handle('PutEvents', {
      Entries: [
        omsEntry('OrderAccepted', 'A', 2),
        {
          EventBusName: 'stockbot-oms',
          Source: 'stockbot.venue',
          DetailType: 'ExecutionReport',
          Detail: '{"x":1}',
        },
      ],
    });
    await eb.handle('PutEvents', { Entries: [omsEntry('OrderFilled', 'A', 3)] });
    const seqs = (events: EventBridgeEvent[]) =>
      events.map(
        (e) =>
          `${(e.detail as { metadata?: { orderId: string; seq: number } }).metadata?.orderId}${(e.detail as { metadata?: { seq: number } }).metadata?.seq ?? ''}`,
      );
    expect(seqs(eb.delivered({ orderId: 'A' }))).toEqual(['A1', 'A2', 'A3']);
    expect(seqs(eb.delivered({ orderId: 'B' }))).toEqual(['B1']);
    expect(eb.delivered({ orderId: 'C' })).toEqual([]);
    expect(eb.delivered({ source: 'stockbot.venue' }).map((e) => e['detail-type'])).toEqual([
      'ExecutionReport',
    ]);
    expect(seqs(eb.delivered({ orderId: 'A', detailType: 'OrderAccepted' }))).toEqual(['A2']);
    expect(eb.delivered()).toHaveLength(5);
  });

  it('stays bounded: keeps the newest events, the order index agreeing with the full list', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('A', 'B', 'C', 'D'), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        async (orderIds, max) => {
          const { eb } = setup({ options: { maxDelivered: max } });
          for (let i = 0; i < orderIds.length; i += 7) {
            const batch = orderIds.slice(i, i + 7).map((id, j) => omsEntry('E', id, i + j));
            await eb.handle('PutEvents', { Entries: batch });
          }
          const all = eb.delivered();
          const expected = orderIds.map((id, i) => `${id}:${i}`).slice(-max);
          const key = (e: EventBridgeEvent) => {
            const m = (e.detail as { metadata: { orderId: string; seq: number } }).metadata;
            return `${m.orderId}:${m.seq}`;
          };
          expect(all.map(key)).toEqual(expected);
          for (const id of ['A', 'B', 'C', 'D']) {
            expect(eb.delivered({ orderId: id }).map(key)).toEqual(
              expected.filter((k) => k.startsWith(`${id}:`)),
            );
          }
          await eb.idle();
          await eb.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('schedules', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
    ['rate(30 seconds)', 30_000],
    ['rate( 10 Minutes )', 600_000],
    ['rate(0 minutes)', null],
    ['rate(1 fortnight)', null],
    ['rate(1.5 minutes)', null],
    ['cron(0 12 * * ? *)', null],
    ['', null],
  ])('parseRateExpression(%j) = %j', (expression, ms) => {
    expect(parseRateExpression(expression)).toBe(ms);
  });

  it('fires rate rules every period / speedup with the scheduled event shape; cron is logged and skipped', async () => {
    jest.useFakeTimers({ now: Date.parse('2024-05-06T07:08:09.000Z') });
    const { eb, fakes } = open();
    const started = eb.startSchedules({ speedup: 20 });
    expect(started).toEqual([{ ruleName: 'Tick', expression: 'rate(1 minute)', periodMs: 3000 }]);
    expect(fakes.logs.some((l) => l.includes('Nightly') && l.includes('cron'))).toBe(true);

    await jest.advanceTimersByTimeAsync(2999);
    expect(fakes.invocations).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(fakes.invocations).toEqual([
      {
        ref: 'MarketTick',
        event: {
          version: '0',
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: '000000000000',
          time: '2024-05-06T07:08:12Z',
          region: 'us-east-1',
          resources: ['arn:aws:events:us-east-1:000000000000:rule/Tick'],
          detail: {},
        },
      },
    ]);
    await jest.advanceTimersByTimeAsync(6000);
    expect(fakes.invocations).toHaveLength(3);
    expect(new Set(fakes.invocations.map((i) => i.event.id)).size).toBe(3);
    // Scheduled events are not bus traffic.
    expect(eb.delivered()).toEqual([]);

    await eb.close();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(fakes.invocations).toHaveLength(3);
  });

  it('skips a tick while the previous run of that rule is still in flight', async () => {
    jest.useFakeTimers();
    let release: () => void = () => {};
    const { eb, fakes } = open({
      invoke: () =>
        new Promise<InvokeResult>((resolve) => {
          release = () => resolve({ ok: true, payload: null });
        }),
    });
    eb.startSchedules({ speedup: 60 });
    await jest.advanceTimersByTimeAsync(5000);
    expect(fakes.invocations).toHaveLength(1);
    release();
    await jest.advanceTimersByTimeAsync(1000);
    expect(fakes.invocations).toHaveLength(2);
  });

  it('fireSchedulesOf runs a schedule rule of the named function once, now (a venue back from an outage)', async () => {
    const { eb, fakes } = open();
    expect(eb.fireSchedulesOf(['NoSuchFunction'])).toEqual([]);
    expect(eb.fireSchedulesOf(['MarketTick'])).toEqual(['Tick']);
    await eb.idle();
    expect(fakes.invocations.map((i) => [i.ref, i.event['detail-type']])).toEqual([
      ['MarketTick', 'Scheduled Event'],
    ]);
    await eb.close();
    expect(eb.fireSchedulesOf(['MarketTick'])).toEqual([]);
  });

  it('rejects a speedup that is not a positive number', () => {
    const { eb } = open();
    expect(() => eb.startSchedules({ speedup: 0 })).toThrow(RangeError);
    expect(() => eb.startSchedules({ speedup: Number.NaN })).toThrow(RangeError);
  });
});
