/**
 * The CAT-shaped export's mapping and proof (core cat-records.ts, cat-export.ts), table-driven.
 * Rule text: CAT Reporting Technical Specifications for Industry Members v4.0.0 r18, section 4
 * (New Order MENO, Order Route MEOR, Order Modified MEOM, Order Canceled MEOC, Child Order MECO,
 * Trade MEOT) and the decisions of docs/compliance.md "CAT-shaped daily export".
 */
import fc from 'fast-check';
import {
  buildCatDayExport,
  type CatOrderStream,
  catDayRecords,
  hashChain,
  manifestText,
  verifyCatDayExport,
} from '../../lambdas/core/cat-export.js';
import {
  CAT_EVENT_RULES,
  type CatContext,
  catHandlingInstructions,
  catRecordsOf,
  catSide,
  catTimeInForce,
  catTimestamp,
} from '../../lambdas/core/cat-records.js';
import type { OrderEvent, OrderEventType, OrderSubmitted } from '../../lambdas/core/events.js';
import type { OrderSpec } from '../../lambdas/core/order-request.js';

const DAY = '2026-12-03';
const AT = '2026-12-03T15:30:00.123Z'; // 10:30:00.123 in New York (EST)
const IMID = 'STKB';

const spec = (over: Partial<OrderSpec> = {}): OrderSpec => ({
  symbol: 'E2ECAT',
  qty: '10',
  notional: null,
  side: 'buy',
  type: 'limit',
  timeInForce: 'day',
  limitPrice: '100.5',
  stopPrice: null,
  trailPrice: null,
  trailPercent: null,
  extendedHours: false,
  clientOrderId: 'c-1',
  orderClass: 'simple',
  takeProfit: null,
  stopLoss: null,
  positionIntent: null,
  advancedInstructions: null,
  ...over,
});

function submitted(orderId: string, over: Partial<OrderSubmitted['data']> = {}, at = AT): OrderSubmitted {
  return {
    type: 'OrderSubmitted',
    orderId,
    seq: 1,
    occurredAt: at,
    data: {
      accountId: 'acct-1',
      clientOrderId: 'c-1',
      order: spec(),
      replaces: null,
      carriedFilledQty: '0',
      carriedFilledValue: '0',
      ...over,
    },
  };
}

const fill = (
  type: 'OrderPartiallyFilled' | 'OrderFilled',
  seq: number,
  over: Record<string, unknown> = {},
) =>
  ({
    type,
    orderId: 'o-1',
    seq,
    occurredAt: AT,
    data: {
      execId: `x-${seq}`,
      lastQty: '4',
      lastPx: '100.25',
      venue: 'SIMX',
      filledQty: '4',
      leavesQty: '6',
      filledAvgPrice: '100.25',
      ...over,
    },
  }) as OrderEvent;

const ev = (type: OrderEventType, data: unknown, seq = 2): OrderEvent =>
  ({ type, orderId: 'o-1', seq, occurredAt: AT, data }) as OrderEvent;

const ctx = (over: Partial<CatContext> = {}): CatContext => ({
  reporterImid: IMID,
  accountId: 'acct-1',
  submitted: submitted('o-1'),
  ...over,
});

const route = (allocations: { venue: string; qty: string; childOrderId: string | null }[]) =>
  ev('OrderRouted', {
    policy: 'best_price',
    marketable: true,
    nbbo: { bid: null, ask: null },
    venues: [],
    excluded: [],
    allocations: allocations.map((a) => ({
      ...a,
      notional: null,
      limitPrice: '100.5',
      expectedPrice: null,
      liquidity: 'take',
    })),
    reason: 'x',
  });

describe('which OMS events are CAT reportable events, and as what (CAT_EVENT_RULES)', () => {
  test.each<[string, OrderEvent, CatContext, string[]]>([
    // 4.x New Order: an order received from a customer (the strategy) is a MENO.
    ['a new order is MENO', submitted('o-1'), ctx(), ['MENO']],
    // Order Modified: a modification that changes the order id carries priorOrderID.
    [
      'a replacement is MEOM',
      submitted('o-2', { replaces: 'o-1', routedTo: 'SIMX' }),
      ctx({ submitted: submitted('o-2', { replaces: 'o-1', routedTo: 'SIMX' }) }),
      ['MEOM', 'MEOR'],
    ],
    // Child Order: an order broken into child orders (a split, an algorithm's slice).
    [
      'a split child is MECO and its route MEOR',
      submitted('c-1', {
        routedTo: 'SIMY',
        contingency: {
          groupId: 'o-1',
          orderClass: 'algo',
          role: 'algo_child',
          parentOrderId: 'o-1',
          legOrderIds: [],
          held: false,
        },
      }),
      ctx(),
      ['MECO', 'MEOR'],
    ],
    // Order Route: the order sent to a venue, one per allocation the order itself takes.
    [
      'a route to one venue is MEOR',
      route([{ venue: 'SIMX', qty: '10', childOrderId: null }]),
      ctx(),
      ['MEOR'],
    ],
    [
      'a split route is reported by its children',
      route([
        { venue: 'SIMX', qty: '5', childOrderId: 'c-1' },
        { venue: 'SIMY', qty: '5', childOrderId: 'c-2' },
      ]),
      ctx(),
      [],
    ],
    // Trade: one per execution the OMS applied.
    ['a partial fill is MEOT', fill('OrderPartiallyFilled', 3), ctx(), ['MEOT']],
    ['a fill is MEOT', fill('OrderFilled', 3), ctx(), ['MEOT']],
    [
      "a parent's mirror of its child's fill is not",
      fill('OrderFilled', 3, { childOrderId: 'c-1' }),
      ctx(),
      [],
    ],
    // Order Canceled.
    ['a cancel is MEOC', ev('OrderCanceled', { reason: 'x', solicited: true }), ctx(), ['MEOC']],
    // Not reportable: the venue's own events, requests, the OMS's internal records.
    ['an armed stop is not', ev('OrderArmed', { venue: 'SIMX' }), ctx(), []],
    ['a venue acknowledgement is not', ev('OrderAccepted', { venueOrderId: 'v' }), ctx(), []],
    ['a cancel request is not', ev('OrderCancelRequested', { requestedBy: 'k' }), ctx(), []],
    [
      'the replaced order is not (its replacement is MEOM)',
      ev('OrderReplaced', { replacementOrderId: 'o-2' }),
      ctx(),
      [],
    ],
    ['an expiry is not', ev('OrderExpired', {}), ctx(), []],
    ['a rejection is not', ev('OrderRejected', { reason: 'r' }), ctx(), []],
  ])('%s', (_name, event, context, types) => {
    const records = catRecordsOf(event, context);
    expect(records.map((r) => r.type)).toEqual(types);
    for (const r of records) expect(CAT_EVENT_RULES[event.type].catTypes).toContain(r.type);
  });

  test('every OMS event type has a rule, and only reportable ones name CAT types', () => {
    for (const [type, rule] of Object.entries(CAT_EVENT_RULES)) {
      expect(rule.why.length).toBeGreaterThan(10);
      expect(rule.catTypes.length > 0).toBe(rule.reportable);
      expect(type).toMatch(/^Order/);
    }
  });
});

describe("CAT's field values", () => {
  test.each([
    // Timestamps are Eastern Time, YYYYMMDD HHMMSS.CCC.
    ['2026-12-03T15:30:00.123Z', '20261203 103000.123'],
    ['2026-07-01T13:30:00.000Z', '20260701 093000.000'],
    ['2026-12-04T04:59:59.999Z', '20261203 235959.999'],
  ])('catTimestamp(%s) = %s', (iso, text) => expect(catTimestamp(iso)).toBe(text));

  test.each<[Partial<OrderSpec>, string]>([
    [{ side: 'buy' }, 'B'],
    [{ side: 'sell' }, 'SL'],
    [{ side: 'sell', positionIntent: 'sell_to_close' }, 'SL'],
    [{ side: 'sell', positionIntent: 'sell_to_open' }, 'SS'],
  ])('side %j is %s', (o, side) => expect(catSide(spec(o))).toBe(side));

  test.each<[OrderSpec['timeInForce'], string, string | null]>([
    ['day', 'DAY=20261203', null],
    ['gtc', 'GTC=20261203', null],
    ['ioc', 'IOC', null],
    ['fok', 'IOC', 'AON'],
    ['opg', 'DAY=20261203', 'OPEN'],
    ['cls', 'DAY=20261203', 'CLOSE'],
  ])('time in force %s is %s with handling %s', (tif, cat, handling) => {
    expect(catTimeInForce({ timeInForce: tif }, '20261203 103000.123')).toBe(cat);
    expect(catHandlingInstructions(spec({ timeInForce: tif }))).toBe(handling);
  });

  test('a stop carries its trigger in handlingInstructions; a market order has no price', () => {
    expect(catHandlingInstructions(spec({ type: 'stop_limit', stopPrice: '99' }))).toBe('Stop=99');
    const [meno] = catRecordsOf(
      submitted('o-1', { order: spec({ type: 'market', limitPrice: null }) }),
      ctx(),
    );
    expect(meno).toMatchObject({ orderType: 'MKT', price: null, quantity: '10' });
  });

  test('a MENO names the order, the reporter, the account as firmDesignatedID', () => {
    const [meno] = catRecordsOf(submitted('o-1'), ctx());
    expect(meno).toEqual({
      actionType: 'NEW',
      firmROEID: '20261203_o-1:1',
      type: 'MENO',
      CATReporterIMID: IMID,
      symbol: 'E2ECAT',
      eventTimestamp: '20261203 103000.123',
      manualFlag: false,
      orderKeyDate: '20261203 103000.123',
      orderID: 'o-1',
      side: 'B',
      price: '100.5',
      quantity: '10',
      orderType: 'LMT',
      timeInForce: 'DAY=20261203',
      tradingSession: 'REG',
      handlingInstructions: null,
      deptType: 'A',
      firmDesignatedID: 'acct-1',
      accountHolderType: 'P',
      representativeInd: 'N',
      affiliateFlag: false,
      solicitationFlag: false,
      custDspIntrFlag: false,
    });
  });

  test("MECO: a child names its parent and the parent's key date", () => {
    const child = submitted('c-1', {
      contingency: {
        groupId: 'o-1',
        orderClass: 'algo',
        role: 'algo_child',
        parentOrderId: 'o-1',
        legOrderIds: [],
        held: false,
      },
    });
    const parent = submitted('o-1', {}, '2026-12-03T14:45:00.000Z');
    expect(catRecordsOf(child, ctx({ submitted: child, parentSubmitted: parent }))[0]).toMatchObject({
      type: 'MECO',
      orderID: 'c-1',
      parentOrderID: 'o-1',
      parentOrderKeyDate: '20261203 094500.000',
    });
  });

  test('MEOC: cancelQty is what was open; the initiator is the customer for a requested cancel', () => {
    const canceled = (solicited: boolean) => ev('OrderCanceled', { reason: 'x', solicited });
    expect(catRecordsOf(canceled(true), ctx({ filledQty: '4' }))[0]).toMatchObject({
      type: 'MEOC',
      cancelQty: '6',
      leavesQty: '0',
      initiator: 'C',
    });
    expect(catRecordsOf(canceled(false), ctx())[0]).toMatchObject({ cancelQty: '10', initiator: 'F' });
  });

  test('MEOT: the execution id, its quantity and price, the venue, our side', () => {
    expect(catRecordsOf(fill('OrderFilled', 3), ctx())[0]).toMatchObject({
      type: 'MEOT',
      tradeID: 'x-3',
      quantity: '4',
      price: '100.25',
      marketCenterID: 'SIMX',
      buyDetails: { orderID: 'o-1', side: 'B', capacity: 'A' },
    });
  });
});

/** A new order routed, partly filled, replaced (routed again), the replacement canceled. */
function dayOfOrders(): Map<string, CatOrderStream> {
  const o1: OrderEvent[] = [
    submitted('o-1', {}, '2026-12-03T15:00:00.000Z'),
    {
      ...route([{ venue: 'SIMX', qty: '10', childOrderId: null }]),
      seq: 2,
      occurredAt: '2026-12-03T15:00:00.010Z',
    },
    { ...fill('OrderPartiallyFilled', 3), occurredAt: '2026-12-03T15:00:01.000Z' },
    {
      ...ev(
        'OrderReplaceRequested',
        { replacementOrderId: 'o-2', changes: { qty: '8' }, requestedBy: 'k' },
        4,
      ),
      occurredAt: '2026-12-03T15:01:00.000Z',
    },
    { ...ev('OrderReplaced', { replacementOrderId: 'o-2' }, 5), occurredAt: '2026-12-03T15:01:00.100Z' },
  ];
  const o2: OrderEvent[] = [
    {
      ...submitted(
        'o-2',
        { replaces: 'o-1', routedTo: 'SIMX', carriedFilledQty: '4', order: spec({ qty: '8' }) },
        '2026-12-03T15:01:00.100Z',
      ),
    },
    {
      type: 'OrderCanceled',
      orderId: 'o-2',
      seq: 2,
      occurredAt: '2026-12-03T15:02:00.000Z',
      data: { reason: 'x', solicited: true },
    },
  ];
  // An order of the day before: nothing of it is in this day's export.
  const old: OrderEvent[] = [submitted('o-0', {}, '2026-12-02T15:00:00.000Z')];
  return new Map([
    ['o-1', { accountId: 'acct-1', events: o1 }],
    ['o-2', { accountId: 'acct-1', events: o2 }],
    ['o-0', { accountId: 'acct-1', events: old }],
  ]);
}

describe("a day's export", () => {
  const streams = dayOfOrders();
  const stored = [...streams.values()].flatMap((s) =>
    s.events.map((e) => ({ ...e, accountId: s.accountId })),
  );
  const day = buildCatDayExport({ date: DAY, reporterImid: IMID, streams, stored });

  test('one record per reportable event of the day, in time order', () => {
    expect(catDayRecords(DAY, IMID, streams).map((r) => `${r.type} ${r.orderID}`)).toEqual([
      'MENO o-1',
      'MEOR o-1',
      'MEOT undefined',
      'MEOM o-2',
      'MEOR o-2',
      'MEOC o-2',
    ]);
    expect(day.manifest.records.byType).toEqual({ MENO: 1, MEOR: 2, MEOT: 1, MEOM: 1, MEOC: 1 });
    // The replacement's cancel takes off what it had open: 8 less the 4 carried over.
    expect(JSON.parse(day.records.split('\n')[5] as string)).toMatchObject({
      cancelQty: '4',
      initiator: 'C',
    });
    expect(JSON.parse(day.records.split('\n')[3] as string)).toMatchObject({
      priorOrderID: 'o-1',
      priorOrderKeyDate: '20261203 100000.000',
      leavesQty: '4',
    });
  });

  test("the archive holds every event of the day as stored, and none of another day's", () => {
    expect(day.manifest.archive.count).toBe(7);
    expect(day.archive).not.toContain('"o-0"');
  });

  test('the same streams always give the same bytes (recomputation is a proof)', () => {
    const again = buildCatDayExport({
      date: DAY,
      reporterImid: IMID,
      streams,
      stored: [...stored].reverse(),
    });
    expect(again.records).toBe(day.records);
    expect(again.archive).toBe(day.archive);
    expect(manifestText(again.manifest)).toBe(manifestText(day.manifest));
  });

  test('an untouched export verifies', () => {
    expect(
      verifyCatDayExport(
        { manifest: manifestText(day.manifest), records: day.records, archive: day.archive },
        day,
      ),
    ).toEqual({ ok: true, problems: [] });
  });

  const tamper = (text: string, line: number, f: (s: string) => string) =>
    text
      .split('\n')
      .map((l, i) => (i === line ? f(l) : l))
      .join('\n');

  test.each<
    [
      string,
      (d: typeof day) => { manifest: string | null; records: string | null; archive: string | null },
      RegExp,
    ]
  >([
    [
      'a changed price',
      (d) => ({
        manifest: manifestText(d.manifest),
        records: tamper(d.records, 2, (l) => l.replace('100.25', '100.26')),
        archive: d.archive,
      }),
      /line 3 differs/,
    ],
    [
      'a removed record',
      (d) => ({
        manifest: manifestText(d.manifest),
        records: tamper(d.records, 5, () => '').replace('\n\n', '\n'),
        archive: d.archive,
      }),
      /records, the manifest says 6/,
    ],
    [
      'a changed archive event',
      (d) => ({
        manifest: manifestText(d.manifest),
        records: d.records,
        archive: tamper(d.archive, 0, (l) => l.replace('acct-1', 'acct-2')),
      }),
      /archive.*line 1 differs/,
    ],
    [
      'a missing manifest',
      (d) => ({ manifest: null, records: d.records, archive: d.archive }),
      /manifest.json: not found/,
    ],
    [
      'records rewritten with a matching new manifest',
      (d) => {
        const records = tamper(d.records, 0, (l) => l.replace('acct-1', 'acct-9'));
        const lines = records.split('\n').filter(Boolean);
        const m = {
          ...d.manifest,
          records: {
            ...d.manifest.records,
            chain: {
              ...d.manifest.records.chain,
              final: hashChain(d.manifest.records.chain.genesis, lines).at(-1) as string,
            },
          },
        };
        return { manifest: manifestText(m), records, archive: d.archive };
      },
      /differs from the manifest recomputed/,
    ],
  ])('%s is found', (_name, make, problem) => {
    const result = verifyCatDayExport(make(day), day);
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(problem);
  });

  test('property: changing any one character of any record is found', () => {
    const lines = day.records.split('\n').filter(Boolean);
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.nat(200), fc.constantFrom('x', '9', ' '), (li, ci, ch) => {
        const line = lines[li] as string;
        const at = ci % line.length;
        if (line[at] === ch) return;
        const changed = lines.map((l, i) => (i === li ? `${l.slice(0, at)}${ch}${l.slice(at + 1)}` : l));
        const records = changed.map((l) => `${l}\n`).join('');
        const result = verifyCatDayExport(
          { manifest: manifestText(day.manifest), records, archive: day.archive },
          day,
        );
        expect(result.ok).toBe(false);
        expect(result.problems.join('\n')).toMatch(new RegExp(`line ${li + 1} differs`));
      }),
      { numRuns: 50 },
    );
  });
});
