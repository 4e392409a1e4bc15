/**
 * The event schemas against what the core really produces: random command sequences (fast-check)
 * drive orders through the `OrderBook` harness; every event's data, and its bus detail built by
 * the real envelope, must parse with its zod schema and validate against its JSON Schema.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import {
  BREAK_TYPES,
  contingentMembersOf,
  EVENT_SCHEMA_VERSION,
  eventDataSchemas,
  eventDetailJsonSchemas,
  eventDetailSchema,
  execute,
  ORDER_EVENT_TYPES,
  type OrderCommand,
  type OrderEvent,
  type OrderEventType,
  type OrderSpec,
  parseEventData,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { detailOf } from '../../lambdas/event-store/envelope.js';
import { SCHEMA_VERSION, toStored } from '../../lambdas/event-store/event-store.js';
import { OrderBook, T0 } from './order-book.js';

const ALL_TYPES: readonly OrderEventType[] = [
  'OrderSubmitted',
  'OrderActivated',
  'OrderTrailMoved',
  'OrderSliceDecided',
  'OrderChildClosed',
  'OrderArmed',
  'OrderRouted',
  'OrderAccepted',
  'OrderRejected',
  'OrderTriggered',
  'OrderPartiallyFilled',
  'OrderFilled',
  'OrderExecutionQuarantined',
  'OrderCancelRequested',
  'OrderCancelAcknowledged',
  'OrderCanceled',
  'OrderCancelRejected',
  'OrderReplaceRequested',
  'OrderReplaceAcknowledged',
  'OrderReplaced',
  'OrderReplaceRejected',
  'OrderExpired',
  'OrderDoneForDay',
  'OrderRestated',
  'OrderExceptionRecorded',
  'OrderBreakFound',
  'OrderExceptionResolved',
];

const later = new Date(T0 + 3_600_000).toISOString();
const requests: Record<string, unknown>[] = [
  { symbol: 'acme', qty: '100', side: 'buy', type: 'limit', time_in_force: 'day', limit_price: '10' },
  { symbol: 'ACME', qty: '100', side: 'sell', type: 'limit', time_in_force: 'gtc', limit_price: '10.50' },
  { symbol: 'ACME', qty: '2.5', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'c-1' },
  { symbol: 'ACME', qty: '50', side: 'sell', type: 'stop', time_in_force: 'gtc', stop_price: '9' },
  {
    symbol: 'BRK.B',
    qty: '50',
    side: 'buy',
    type: 'stop_limit',
    time_in_force: 'day',
    stop_price: '11',
    limit_price: '11.1',
    position_intent: 'buy_to_open',
  },
  {
    symbol: 'ACME',
    qty: '80',
    side: 'sell',
    type: 'trailing_stop',
    time_in_force: 'gtc',
    trail_percent: 2.5,
  },
  { symbol: 'ACME', notional: '1000', side: 'buy', type: 'market', time_in_force: 'day' },
  {
    symbol: 'ACME',
    qty: '100',
    side: 'buy',
    type: 'limit',
    time_in_force: 'gtc',
    limit_price: '10',
    order_class: 'bracket',
    take_profit: { limit_price: '12' },
    stop_loss: { stop_price: '9', limit_price: '8.9' },
  },
  {
    symbol: 'ACME',
    qty: '1000',
    side: 'buy',
    type: 'limit',
    time_in_force: 'day',
    limit_price: '10',
    advanced_instructions: { algorithm: 'TWAP', display_qty: '100', end_time: later, max_percentage: '0.1' },
  },
];
const specs: OrderSpec[] = requests.map((r) => {
  const v = validateOrderRequest(r, { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
});

const qty = fc.constantFrom('0.5', '1', '10', '25', '33.333333333', '50', '100', '150');
const px = fc.constantFrom('9.99', '10', '10.010', '10.000000001');
const reason = fc.constantFrom('r1', 'venue says no');
const commandArb: fc.Arbitrary<OrderCommand> = fc.oneof(
  fc.constant<OrderCommand>({ type: 'accept', venueOrderId: 'v-1' }),
  fc.constant<OrderCommand>({ type: 'accept' }),
  reason.map<OrderCommand>((r) => ({ type: 'reject', reason: r })),
  fc
    .record({
      triggerPrice: px,
      bid: fc.constantFrom('9.98', undefined),
      ask: fc.constantFrom('10.02', undefined),
    })
    .map<OrderCommand>((t) => ({ type: 'trigger', ...t })),
  {
    weight: 6,
    arbitrary: fc
      .record({
        execId: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6'),
        lastQty: qty,
        lastPx: px,
        venue: fc.constantFrom('SIMX', undefined),
        fee: fc.constantFrom('0.03', '-0.002', undefined),
        liquidity: fc.constantFrom('added' as const, 'removed' as const, undefined),
      })
      .map<OrderCommand>(({ fee, liquidity, ...f }) => ({
        type: 'fill',
        ...f,
        ...(fee === undefined ? {} : { fee }),
        ...(liquidity === undefined ? {} : { liquidity }),
      })),
  },
  fc.constantFrom('SIMX', 'SIMY').map<OrderCommand>((venue) => ({
    type: 'route',
    decision: {
      policy: 'best_price',
      marketable: true,
      nbbo: { bid: '9.99', ask: '10.01' },
      venues: [
        {
          venue,
          primary: venue === 'SIMX',
          bid: '9.99',
          ask: '10.01',
          bidSize: '100',
          askSize: '200',
          takerFee: '0.003',
          makerFee: '-0.002',
          latencyMs: 0,
          fillRate: 0.7,
          down: false,
          failedAt: null,
        },
      ],
      excluded: [{ venue: 'SIMZ', reason: 'venue_down' }],
      allocations: [
        {
          venue,
          qty: null,
          notional: null,
          limitPrice: null,
          expectedPrice: '10.01',
          liquidity: 'take',
          childOrderId: null,
        },
      ],
      reason: 'whole order to the best venue',
    },
  })),
  fc.constant<OrderCommand>({ type: 'requestCancel', requestedBy: 'client' }),
  fc.constant<OrderCommand>({ type: 'acknowledgeCancel' }),
  fc.constantFrom<OrderCommand>({ type: 'confirmCancel' }, { type: 'confirmCancel', reason: 'ioc' }),
  reason.map<OrderCommand>((r) => ({ type: 'rejectCancel', reason: r })),
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          qty,
          limitPrice: fc.constantFrom('9.50', '10.25'),
          timeInForce: fc.constantFrom('day' as const, 'gtc' as const),
          clientOrderId: fc.constantFrom('c-2', 'c-3'),
        },
        { requiredKeys: [] },
      )
      .map<OrderCommand>((changes) => ({
        type: 'requestReplace',
        replacementOrderId: 'placeholder',
        requestedBy: 'client',
        changes,
      })),
  },
  fc.constant<OrderCommand>({ type: 'acknowledgeReplace' }),
  { weight: 2, arbitrary: fc.constant<OrderCommand>({ type: 'confirmReplace' }) },
  reason.map<OrderCommand>((r) => ({ type: 'rejectReplace', reason: r })),
  fc.constant<OrderCommand>({ type: 'expire' }),
  fc.constant<OrderCommand>({ type: 'doneForDay' }),
  fc.boolean().map<OrderCommand>((reachedVenue) => ({
    type: 'recordException',
    stage: 'submit',
    error: 'Timeout',
    cause: '{}',
    reachedVenue,
  })),
  // Reconciliation's and the exceptions view's records share one slot: the other commands keep
  // their frequency (every event kind must still be reached).
  fc.oneof(
    fc.integer({ min: 2, max: 12 }).map<OrderCommand>((seq) => ({
      type: 'resolveException',
      exceptionId: `o1:${seq}`,
      reason: 'checked',
      resolvedBy: 'ops-1',
    })),
    fc.constantFrom(...BREAK_TYPES).map<OrderCommand>((breakType) => ({
      type: 'recordBreak',
      breakType,
      key: `${breakType}|x-1`,
      detail: 'the venue and the OMS differ',
      repair: 'none',
    })),
  ),
  fc
    .record({
      qty: fc.option(qty, { nil: undefined }),
      limitPrice: fc.option(px, { nil: undefined }),
      reopen: fc.boolean(),
    })
    .map<OrderCommand>((r) => ({ type: 'restate', reason: 'venue', ...r })),
);

/** Runs one chain (following replacements) and returns every event the core produced. */
function runChain(spec: OrderSpec, commands: readonly OrderCommand[]): OrderEvent[] {
  const book = new OrderBook();
  let current = 'o1';
  let replacements = 0;
  book.submit(current, spec);
  for (const c of commands) {
    const command = c.type === 'requestReplace' ? { ...c, replacementOrderId: `o1-r${++replacements}` } : c;
    book.run(current, command);
    const next = book.state(current).replacedBy;
    if (next !== null && book.states.has(next)) current = next;
  }
  return [...book.events.values()].flat();
}

const meta = { accountId: 'acct-1', correlationId: 'req-1', causationId: 'cmd-1' };

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const jsonSchemas = eventDetailJsonSchemas();
// Ajv 8 speaks draft-07+; the draft-04 documents use only keywords that mean the same there.
const validators = Object.fromEntries(
  ORDER_EVENT_TYPES.map((t) => {
    const { $schema: _, ...schema } = jsonSchemas[t] as Record<string, unknown>;
    return [t, ajv.compile(schema)];
  }),
) as Record<OrderEventType, ReturnType<typeof ajv.compile>>;

describe('event schemas', () => {
  test('cover exactly the event types of the core', () => {
    expect([...ORDER_EVENT_TYPES].sort()).toEqual([...ALL_TYPES].sort());
    expect(Object.keys(eventDataSchemas)).toEqual([...ORDER_EVENT_TYPES]);
    expect(EVENT_SCHEMA_VERSION).toBe(SCHEMA_VERSION);
  });

  test('every event the core produces parses, as data and as bus detail (zod and JSON Schema)', () => {
    const seen = new Set<OrderEventType>();
    fc.assert(
      fc.property(fc.constantFrom(...specs), fc.array(commandArb, { maxLength: 30 }), (spec, commands) => {
        for (const e of runChain(spec, commands)) {
          seen.add(e.type);
          const data = eventDataSchemas[e.type].safeParse(e.data);
          if (!data.success) throw new Error(`${e.type}: ${data.error.message}`);
          const detail = JSON.parse(JSON.stringify(detailOf(toStored(e, meta))));
          const parsed = eventDetailSchema(e.type).safeParse(detail);
          if (!parsed.success) throw new Error(`${e.type} detail: ${parsed.error.message}`);
          const validate = validators[e.type];
          if (!validate(detail)) throw new Error(`${e.type} JSON Schema: ${ajv.errorsText(validate.errors)}`);
        }
      }),
      { numRuns: 800, seed: 20261204 },
    );
    // A bracket's members carry their contingency; a held leg is activated.
    const bracket = validateOrderRequest(
      {
        symbol: 'ACME',
        qty: '10',
        side: 'buy',
        type: 'limit',
        limit_price: '10',
        time_in_force: 'gtc',
        order_class: 'bracket',
        take_profit: { limit_price: '11' },
        stop_loss: { stop_price: '9' },
      },
      { now: T0 },
    );
    if (!bracket.ok) throw new Error('bracket request');
    for (const m of contingentMembersOf(bracket.order, ['e', 'tp', 'sl'])) {
      const submit = { type: 'submit', orderId: m.orderId, accountId: 'a', order: m.spec } as const;
      const opened = execute(
        undefined,
        { ...submit, ...(m.contingency ? { contingency: m.contingency } : {}) },
        T0,
      );
      const events: OrderEvent[] = opened.decision.ok ? [...opened.decision.events] : [];
      const activated = execute(opened.state, { type: 'activate', qty: '4' }, T0);
      if (activated.decision.ok) events.push(...activated.decision.events);
      for (const e of events) {
        seen.add(e.type);
        const detail = JSON.parse(JSON.stringify(detailOf(toStored(e, meta))));
        expect(eventDetailSchema(e.type).safeParse(detail).success).toBe(true);
        expect(validators[e.type](detail)).toBe(true);
      }
    }
    // An algorithmic parent's own records: a slice decision, a mirrored fill, a child closing.
    const twap = validateOrderRequest(
      {
        symbol: 'ACME',
        qty: '10',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
        advanced_instructions: { algorithm: 'TWAP', end_time: new Date(T0 + 3600_000).toISOString() },
      },
      { now: T0 },
    );
    if (!twap.ok) throw new Error('twap request');
    const algoCommands: OrderCommand[] = [
      { type: 'accept' },
      {
        type: 'decideSlice',
        trigger: 'slice',
        sliceIndex: 0,
        decision: 'release',
        childOrderId: 'c1',
        qty: '2',
        volumeMark: '100',
      },
      { type: 'fill', execId: 'c1:1', lastQty: '2', lastPx: '10', childOrderId: 'c1' },
      { type: 'closeChild', childOrderId: 'c1', outcome: 'filled', filledQty: '2' },
    ];
    let parent = execute(
      undefined,
      {
        type: 'submit',
        orderId: 'p',
        accountId: 'a',
        order: twap.order,
        contingency: {
          groupId: 'p',
          orderClass: 'algo',
          role: 'algo_parent',
          parentOrderId: null,
          legOrderIds: [],
          held: false,
        },
      },
      T0,
    ).state;
    for (const c of algoCommands) {
      const r = execute(parent, c, T0);
      if (!r.decision.ok) throw new Error(`${c.type}: ${r.decision.refusal.message}`);
      parent = r.state;
      for (const e of r.decision.events) {
        seen.add(e.type);
        const detail = JSON.parse(JSON.stringify(detailOf(toStored(e, meta))));
        expect(eventDetailSchema(e.type).safeParse(detail).success).toBe(true);
        expect(validators[e.type](detail)).toBe(true);
      }
    }
    // A trailing stop's mark moving.
    const trailing = validateOrderRequest(
      {
        symbol: 'ACME',
        qty: '3',
        side: 'sell',
        type: 'trailing_stop',
        trail_percent: '1.5',
        time_in_force: 'gtc',
      },
      { now: T0 },
    );
    if (!trailing.ok) throw new Error('trailing request');
    const ts = execute(
      undefined,
      { type: 'submit', orderId: 't', accountId: 'a', order: trailing.order },
      T0,
    ).state;
    const moved = execute(execute(ts, { type: 'accept' }, T0).state, { type: 'moveTrail', hwm: '12.5' }, T0);
    // A stop the OMS holds for a venue without stops.
    const armed = execute(ts, { type: 'arm', venue: 'SIMX' }, T0);
    for (const e of [moved, armed].flatMap((r) => (r.decision.ok ? r.decision.events : []))) {
      seen.add(e.type);
      const detail = JSON.parse(JSON.stringify(detailOf(toStored(e, meta))));
      expect(eventDetailSchema(e.type).safeParse(detail).success).toBe(true);
      expect(validators[e.type](detail)).toBe(true);
    }
    // The property means something only if the sequences reached every kind of event.
    expect([...seen].sort()).toEqual([...ALL_TYPES].sort());
  });

  test('JSON Schemas are draft-04 documents of a strict {metadata, data} object', () => {
    for (const type of ALL_TYPES) {
      const s = jsonSchemas[type] as Record<string, unknown>;
      expect(s).toMatchObject({
        $schema: 'http://json-schema.org/draft-04/schema#',
        title: type,
        type: 'object',
        required: ['metadata', 'data'],
        additionalProperties: false,
      });
      // draft-04 has no `const`, `$defs` or numeric `exclusiveMinimum`.
      const text = JSON.stringify(s);
      expect(text).not.toMatch(/"const"|"\$defs"|"exclusiveMinimum":\d/);
      expect(JSON.parse(text)).toEqual(s);
    }
  });

  const good = () =>
    detailOf(
      toStored(
        {
          type: 'OrderFilled',
          orderId: 'o1',
          seq: 3,
          occurredAt: '2026-11-23T14:31:00.000Z',
          data: {
            execId: 'e1',
            lastQty: '10',
            lastPx: '10.5',
            venue: 'SIMX',
            filledQty: '10',
            leavesQty: '0',
            filledAvgPrice: '10.5',
          },
        },
        meta,
      ),
    ) as unknown as { metadata: Record<string, unknown>; data: Record<string, unknown> };

  /** [what is wrong, the patch: fields of `data` / `metadata` to set (undefined deletes)] */
  const wrong: [string, { data?: Record<string, unknown>; metadata?: Record<string, unknown> }][] = [
    ['non-canonical decimal', { data: { lastPx: '10.50' } }],
    ['decimal as a JSON number', { data: { lastQty: 10 } }],
    ['exponent', { data: { filledQty: '1e1' } }],
    ['negative decimal', { data: { leavesQty: '-1' } }],
    ['unknown data field', { data: { extra: 1 } }],
    ['missing data field', { data: { execId: undefined } }],
    ['unknown metadata field', { metadata: { extra: 'x' } }],
    ['eventId not orderId:seq', { metadata: { eventId: 'o1:4' } }],
    ['seq zero', { metadata: { seq: 0, eventId: 'o1:0' } }],
    ['other schema version', { metadata: { schemaVersion: 2 } }],
    ['occurredAt not UTC ISO', { metadata: { occurredAt: '2026-11-23 14:31' } }],
    ['empty accountId', { metadata: { accountId: '' } }],
  ];
  const spoiled = (patch: (typeof wrong)[number][1]) => {
    const d = good();
    for (const part of ['data', 'metadata'] as const) {
      for (const [k, v] of Object.entries(patch[part] ?? {})) {
        if (v === undefined) delete d[part][k];
        else d[part][k] = v;
      }
    }
    return d;
  };

  test('a valid detail parses (control for the table below)', () => {
    expect(eventDetailSchema('OrderFilled').safeParse(good()).success).toBe(true);
    expect(validators.OrderFilled(good())).toBe(true);
  });

  test.each(wrong)('a detail with %s fails (zod; and JSON Schema where it can say it)', (name, patch) => {
    const d = spoiled(patch);
    expect(eventDetailSchema('OrderFilled').safeParse(d).success).toBe(false);
    // JSON Schema cannot relate two fields: eventId = orderId:seq is checked by zod only.
    expect(validators.OrderFilled(d)).toBe(name === 'eventId not orderId:seq');
  });

  test("another type's data fails its schema", () => {
    const d = good();
    expect(eventDetailSchema('OrderAccepted').safeParse(d).success).toBe(false);
    expect(validators.OrderAccepted(d)).toBe(false);
    expect(eventDetailSchema('OrderCanceled').safeParse({ ...d, data: {} }).success).toBe(false);
  });

  test('parseEventData refuses unknown types and accepts empty data where the event has none', () => {
    expect(parseEventData('OrderExploded', {}).success).toBe(false);
    expect(parseEventData('OrderExpired', {}).success).toBe(true);
    expect(parseEventData('OrderExpired', { reason: 'x' }).success).toBe(false);
  });
});
