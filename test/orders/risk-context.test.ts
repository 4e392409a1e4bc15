import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  assetFactsOf,
  checkPreTradeRisk,
  DEFAULT_RISK_LIMITS,
  defaultAsset,
  formatNanos,
} from '../../lambdas/core/index.js';
import { heldBy, loadRiskInputs, type View, viewOfItem } from '../../lambdas/orders/risk-context.js';
import { marketHolds, SUBMITTED_AT, setEnv, spec, TABLES } from '../order-lifecycle/fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);
const iso = (ms: number) => new Date(ms).toISOString();
const view = (o: Record<string, unknown>) => ({
  order: {
    side: 'buy',
    type: 'limit',
    status: 'new',
    created_at: iso(SUBMITTED_AT - 60_000),
    filled_qty: '0',
    ...o,
  },
});

beforeEach(() => {
  ddb.reset();
  setEnv();
});

it('merges the account limits over the defaults and values open buys (recent orders are not read)', async () => {
  marketHolds(ddb, (symbol) => ({ AAPL: { last: '100' }, MSFT: { last: '400' } })[symbol], undefined, [
    {
      pk: 'account#acc-1',
      riskLimits: { maxOrderQty: 500, restrictedSymbols: ['GME'] },
      buyingPower: '50000',
    },
  ]);
  ddb.on(QueryCommand, { IndexName: 'byAccountOpen' }).resolves({
    Items: [
      view({ id: 'a', symbol: 'AAPL', qty: '10', limit_price: '99', filled_qty: '4' }), // 6 x 99 = 594
      view({ id: 'b', symbol: 'MSFT', type: 'market', qty: '2' }), // 2 x 400 = 800
      view({
        id: 'c',
        symbol: 'AAPL',
        type: 'market',
        notional: '1000',
        filled_qty: '5',
        filled_avg_price: '100',
      }), // 500
      view({ id: 'd', symbol: 'AAPL', side: 'sell', qty: '100', limit_price: '100' }), // sells reserve nothing
    ],
  });
  // The sell `d` is a wash-trade candidate; the event store (authoritative) says it has closed.
  ddb.on(QueryCommand, { TableName: 'events' }).resolves({ Items: [] });
  const { limits, context } = await loadRiskInputs(
    'acc-1',
    spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' }),
    SUBMITTED_AT,
  );
  expect(
    ddb
      .commandCalls(QueryCommand, { TableName: 'events' })
      .map((c) => c.args[0].input.ExpressionAttributeValues),
  ).toEqual([expect.objectContaining({ ':id': 'd' })]);
  expect(context.opposingOrders).toEqual([]);
  expect(limits).toEqual({ ...DEFAULT_RISK_LIMITS, maxOrderQty: '500', restrictedSymbols: ['GME'] });
  expect(context).toMatchObject({ referencePrice: '100', buyingPower: '50000', openBuyExposure: '1894' });
  // The duplicate rule is claimed when the order is placed (orders-service), not read here.
  expect(context.recentOrders).toEqual([]);
  expect(ddb.commandCalls(QueryCommand, { IndexName: 'byAccount' })).toHaveLength(0);
});

const buyOne = spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' });

function accountHolds(item: Record<string, unknown> | undefined, openOrders: Record<string, unknown>[] = []) {
  marketHolds(ddb, () => ({ last: '100' }), undefined, item === undefined ? [] : [item]);
  ddb.on(QueryCommand, { IndexName: 'byAccountOpen' }).resolves({ Items: openOrders });
  ddb.on(QueryCommand, { IndexName: 'byAccount' }).resolves({ Items: [] });
}

describe('fails closed on the account configuration', () => {
  it.each<[string, Record<string, unknown> | undefined, string]>([
    ['no record', undefined, 'account acc-1 has no risk configuration (no account#acc-1 record)'],
    [
      'a limit that is not a decimal',
      { riskLimits: { maxOrderQty: 'ten' } },
      'account acc-1 has an unreadable risk configuration (riskLimits.maxOrderQty: is not a decimal)',
    ],
    [
      'a negative buying power',
      { buyingPower: -5 },
      'account acc-1 has an unreadable risk configuration (buyingPower: is not a decimal)',
    ],
    [
      'a restricted list that is a string',
      { riskLimits: { restrictedSymbols: 'GME' } },
      'account acc-1 has an unreadable risk configuration (riskLimits.restrictedSymbols: ',
    ],
    [
      'a fractional rate limit',
      { riskLimits: { maxOrdersPerSecond: 2.5 } },
      'account acc-1 has an unreadable risk configuration (riskLimits.maxOrdersPerSecond: ',
    ],
  ])('%s: every order of the account is refused', async (_name, item, problem) => {
    accountHolds(item === undefined ? undefined : { pk: 'account#acc-1', ...item });
    const { limits, context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    expect(context.accountProblem).toEqual(expect.stringContaining(problem));
    expect(checkPreTradeRisk(buyOne, limits, context)).toEqual([
      expect.objectContaining({
        rule: 'account_not_configured',
        limit: 'configured account',
        message: `account_not_configured: ${context.accountProblem}`,
      }),
    ]);
  });

  it.each([
    ['a list', ['GME', 'AMC']],
    ['a DynamoDB string set (read as a Set)', new Set(['GME', 'AMC'])],
  ])('restricted symbols stored as %s are enforced', async (_name, restrictedSymbols) => {
    accountHolds({ pk: 'account#acc-1', riskLimits: { restrictedSymbols } });
    const gme = spec({ symbol: 'GME', qty: '1', side: 'buy', type: 'market' });
    const { limits, context } = await loadRiskInputs('acc-1', gme, SUBMITTED_AT);
    expect(context.accountProblem).toBeNull();
    expect(limits.restrictedSymbols).toEqual(['GME', 'AMC']);
    expect(checkPreTradeRisk(gme, limits, context).map((r) => r.rule)).toEqual(['restricted_symbol']);
  });

  it('a record without limits gets the defaults and, without buying power, no buying-power limit', async () => {
    accountHolds({ pk: 'account#acc-1' });
    const { limits, context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    expect(limits).toEqual(DEFAULT_RISK_LIMITS);
    expect(context).toMatchObject({ buyingPower: null, accountProblem: null });
    expect(checkPreTradeRisk(buyOne, limits, context)).toEqual([]);
  });
});

it('an algorithmic child is counted once, in its open parent; once the parent closes, by itself', async () => {
  const parent = {
    ...view({ id: 'p', symbol: 'AAPL', qty: '100', limit_price: '100', filled_qty: '30' }),
    contingencyRole: 'algo_parent',
  };
  const child = {
    ...view({ id: 'c', symbol: 'AAPL', qty: '20', limit_price: '100', filled_qty: '5' }),
    contingencyRole: 'algo_child',
    parentOrderId: 'p',
  };
  accountHolds({ pk: 'account#acc-1', buyingPower: '100000' }, [parent, child]);
  expect((await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT)).context.openBuyExposure).toBe('7000'); // 70 x 100
  ddb.reset();
  setEnv();
  accountHolds({ pk: 'account#acc-1', buyingPower: '100000' }, [child]);
  expect((await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT)).context.openBuyExposure).toBe('1500'); // 15 x 100
});

describe('open buy exposure of an order already stored (self)', () => {
  const at = (ms: number) => iso(SUBMITTED_AT + ms);
  /** An unrelated resting sell of 3 AAPL, placed before the orders of a scenario. */
  const anotherSellOf3 = () =>
    view({ id: 'ord-a', symbol: 'AAPL', side: 'sell', qty: '3', limit_price: '120', created_at: at(-5) });
  const self = { orderId: 'ord-5', createdAt: at(0) };
  // Each reserves 10 x 100 = 1,000.
  const open = [
    view({ id: 'ord-1', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(-1000) }),
    view({ id: 'ord-4', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(0) }), // same ms, id before
    view({ id: 'ord-5', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(0) }), // self
    view({ id: 'ord-6', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(0) }), // same ms, id after
    view({ id: 'ord-9', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(500) }),
  ];

  it.each<[string, Parameters<typeof loadRiskInputs>[3], string]>([
    ['no self (the API check): every open order', {}, '5000'],
    ['the workflow re-check: only orders created before it', { self }, '2000'],
    ['a replace: every open order but itself', { self, exposure: 'all' }, '4000'],
  ])('%s', async (_name, options, exposure) => {
    accountHolds({ pk: 'account#acc-1', buyingPower: '100000' }, open);
    const { context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT, options);
    expect(context.openBuyExposure).toBe(exposure);
  });

  it("a group's root is not held back by its own members: an OCO's stop-loss holds the shares its take-profit sells", async () => {
    // Placed together: the same millisecond, the stop-loss's id sorting before the take-profit's.
    const tp = {
      ...view({
        id: 'ord-t',
        symbol: 'AAPL',
        side: 'sell',
        qty: '10',
        limit_price: '110',
        created_at: at(0),
      }),
      groupId: 'ord-t',
      contingencyRole: 'take_profit',
    };
    const sl = {
      ...view({ id: 'ord-s', symbol: 'AAPL', side: 'sell', qty: '10', created_at: at(0) }),
      groupId: 'ord-t',
      contingencyRole: 'stop_loss',
      parentOrderId: 'ord-t',
    };
    const other = anotherSellOf3();
    accountHolds({ pk: 'account#acc-1', buyingPower: '100000' }, [other, sl, tp]);
    const sell = spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'limit', limit_price: '110' });
    const { context } = await loadRiskInputs('acc-1', sell, SUBMITTED_AT, {
      self: { orderId: 'ord-t', createdAt: at(0) },
    });
    expect(context.heldForSale).toBe('3');
    // Any other order still counts the group's exits, once.
    const { context: another } = await loadRiskInputs('acc-1', sell, SUBMITTED_AT + 10, {
      self: { orderId: 'ord-z', createdAt: at(10) },
    });
    expect(another.heldForSale).toBe('13');
    // A member (a bracket's take-profit repriced by PATCH) is not held back by its siblings either:
    // its stop-loss's 10 counted as held, a long of 10 could sell none (refused `short_sale`).
    const { context: member } = await loadRiskInputs('acc-1', sell, SUBMITTED_AT, {
      self: { orderId: 'ord-s', createdAt: at(0), groupId: 'ord-t' },
      exposure: 'all',
    });
    expect(member.heldForSale).toBe('3');
  });

  it("a member's PATCH reads the sells placed a moment before (recentSells): its group's set aside, another sell counted (probe C: both exits repriced at once, the stop-loss refused)", async () => {
    const other = anotherSellOf3();
    // Nothing listed yet: the take-profit's replacement and the other sell were placed a moment before.
    accountHolds({ pk: 'account#acc-1', buyingPower: '100000' }, []);
    const tpReplacement = {
      ...(viewOfItem(
        view({ id: 'ord-t2', symbol: 'AAPL', side: 'sell', qty: '10', created_at: at(1) }),
      ) as View),
      groupId: 'ord-t',
      contingencyRole: 'take_profit',
    };
    const otherView = viewOfItem(other) as View;
    const given: (readonly View[])[] = [];
    const sell = spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'stop', stop_price: '90' });
    const { context } = await loadRiskInputs('acc-1', sell, SUBMITTED_AT, {
      self: { orderId: 'ord-s', createdAt: at(0), groupId: 'ord-t' },
      exposure: 'all',
      recentSells: async (listed) => {
        given.push(listed);
        return [tpReplacement, otherView];
      },
    });
    expect(given).toEqual([[]]);
    expect(context.heldForSale).toBe('3');
  });

  it('a PATCH of a replacement does not count the order it replaced, whose view may still show it open (CI: a no-short PATCH refused, "96 held" by the replaced original)', async () => {
    const original = view({
      id: 'ord-o',
      symbol: 'AAPL',
      side: 'sell',
      qty: '96',
      limit_price: '105',
      created_at: at(0),
    });
    const other = anotherSellOf3();
    accountHolds({ pk: 'account#acc-1', buyingPower: '100000' }, [other, original]);
    const sell = spec({ symbol: 'AAPL', qty: '97', side: 'sell', type: 'limit', limit_price: '106' });
    const heldFor = async (self: { orderId: string; createdAt: string; replaces?: string }) =>
      (await loadRiskInputs('acc-1', sell, SUBMITTED_AT, { self, exposure: 'all' })).context.heldForSale;
    expect(await heldFor({ orderId: 'ord-r', createdAt: at(1), replaces: 'ord-o' })).toBe('3');
    // Another order's check still counts it while it is open.
    expect(await heldFor({ orderId: 'ord-z', createdAt: at(1) })).toBe('99');
  });

  it('of two concurrent orders only the later counts the earlier, so they cannot both be refused', async () => {
    // Room for one of them: each counted against the other, both would be refused.
    const first = view({ id: 'ord-a', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(0) });
    const second = view({ id: 'ord-b', symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(1) });
    accountHolds({ pk: 'account#acc-1', buyingPower: '1500' }, [first, second]);
    const order = spec({ symbol: 'AAPL', qty: '10', side: 'buy', type: 'limit', limit_price: '100' });
    const recheck = async (orderId: string, createdAt: string) => {
      const { limits, context } = await loadRiskInputs('acc-1', order, Date.parse(createdAt), {
        self: { orderId, createdAt },
      });
      return checkPreTradeRisk(order, limits, context).map((r) => r.rule);
    };
    expect(await recheck('ord-a', at(0))).toEqual([]);
    expect(await recheck('ord-b', at(1))).toEqual(['buying_power']);
  });
});

describe('the asset master (issue 13): read with the quote, carried in the snapshot', () => {
  const snapshot = {
    limits: DEFAULT_RISK_LIMITS,
    referencePrice: '100',
    buyingPower: null,
  } as const;

  it('the API check reads the quote and the asset in ONE BatchGetItem over both tables (the account and its ledger in another)', async () => {
    accountHolds({ pk: 'account#acc-1' });
    const { context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    expect(context.asset).toEqual(assetFactsOf(defaultAsset('AAPL')));
    expect(context.referencePrice).toBe('100');
    const batches = ddb
      .commandCalls(BatchGetCommand)
      .map((c) => Object.keys(c.args[0].input.RequestItems ?? {}).join(','))
      .sort();
    expect(batches).toEqual([TABLES.ACCOUNTS_TABLE, `${TABLES.MARKET_TABLE},${TABLES.ASSETS_TABLE}`].sort());
    // No GetItem besides them.
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it.each<[string, Record<string, unknown> | undefined, string[]]>([
    ['not listed', undefined, ['unknown_asset']],
    ['listed inactive', { symbol: 'AAPL', status: 'inactive' }, ['asset_not_tradable']],
    ['listed, not tradable', { symbol: 'AAPL', tradable: false }, ['asset_not_tradable']],
    ['an unreadable item (fail closed: not listed)', { symbol: 'AAPL', tradable: 'yes' }, ['unknown_asset']],
    ['a bare {symbol} item: a default asset', { symbol: 'AAPL' }, []],
  ])('an asset %s', async (_name, item, rules) => {
    ddb.on(QueryCommand, { IndexName: 'byAccountOpen' }).resolves({ Items: [] });
    marketHolds(
      ddb,
      () => ({ last: '100' }),
      () => item,
      [{ pk: 'account#acc-1' }],
    );
    const { limits, context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    expect(context.asset === null).toBe(rules.includes('unknown_asset'));
    expect(checkPreTradeRisk(buyOne, limits, context).map((r) => r.rule)).toEqual(rules);
  });

  it('the shortable and easy-to-borrow facts reach the context (for the short-sale rule)', async () => {
    ddb.on(QueryCommand, { IndexName: 'byAccountOpen' }).resolves({ Items: [] });
    marketHolds(
      ddb,
      () => ({ last: '100' }),
      (symbol) => ({ symbol, shortable: false, easyToBorrow: false }),
      [{ pk: 'account#acc-1' }],
    );
    const { context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    expect(context.asset).toMatchObject({ shortable: false, easyToBorrow: false, fractionable: true });
  });

  it('with a snapshot that has the asset, neither the market nor the asset master is read', async () => {
    accountHolds({ pk: 'account#acc-1' });
    const asset = { ...assetFactsOf(defaultAsset('AAPL')), fractionable: false };
    const { context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT, {
      snapshot: { ...snapshot, asset },
    });
    expect(context.asset).toEqual(asset);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('a snapshot that says "not listed" (null) is not read again either', async () => {
    accountHolds({ pk: 'account#acc-1' });
    const { context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT, {
      snapshot: { ...snapshot, asset: null },
    });
    expect(context.asset).toBeNull();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('a snapshot from before the asset master (no asset) reads the asset alone, not the quote', async () => {
    accountHolds({ pk: 'account#acc-1' });
    const { context } = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT, { snapshot });
    expect(context.asset).toEqual(assetFactsOf(defaultAsset('AAPL')));
    expect(context.referencePrice).toBe('100');
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input.TableName)).toEqual([TABLES.ASSETS_TABLE]);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});

describe('a bus order’s strategy entitlement (issue 16): read in the account’s BatchGet, no request added', () => {
  const account = { pk: 'account#acc-1' };
  const requests = () =>
    ddb.commandCalls(BatchGetCommand).length +
    ddb.commandCalls(GetCommand).length +
    ddb.commandCalls(QueryCommand).length;

  it.each([
    [
      'an active record',
      { pk: 'strategy#momentum', accountIds: ['acc-1'], status: 'active' },
      { strategyId: 'momentum', accountIds: ['acc-1'], status: 'active' },
    ],
    ['no record', undefined, null],
    [
      'a record that does not parse: entitles nothing',
      { pk: 'strategy#momentum', accountIds: 'acc-1' },
      null,
    ],
  ])('%s', async (_case, record, entitlement) => {
    accountHolds(account);
    const without = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    const baseline = requests();
    expect(without.entitlement).toBeUndefined();
    ddb.reset();
    marketHolds(
      ddb,
      () => ({ last: '100' }),
      undefined,
      record === undefined ? [account] : [account, record],
    );
    ddb.on(QueryCommand, { IndexName: 'byAccountOpen' }).resolves({ Items: [] });
    const withStrategy = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT, { strategyId: 'momentum' });
    expect(withStrategy.entitlement).toEqual(entitlement);
    expect(requests()).toBe(baseline);
    const batch = ddb.commandCalls(BatchGetCommand).find((c) => c.args[0].input.RequestItems?.accounts);
    expect(batch?.args[0].input.RequestItems?.accounts?.Keys).toContainEqual({ pk: 'strategy#momentum' });
  });
});

describe('buying power reservations (core buying-power-claims.ts): claimed buys count in the account total, read with the ledger', () => {
  const at = (ms: number) => iso(SUBMITTED_AT + ms);
  const placed = (id: string, filled = '0') =>
    view({ id, symbol: 'AAPL', qty: '10', limit_price: '100', created_at: at(-1000), filled_qty: filled })
      .order;
  // The index projects `exposure` (with the claim) besides the keys, not the order document.
  const indexed = (o: Record<string, unknown>, cents: number | null) => ({
    orderId: o.id,
    symbol: o.symbol,
    side: o.side,
    status: o.status,
    createdAt: o.created_at,
    exposure: {
      type: o.type,
      qty: o.qty,
      limit_price: o.limit_price,
      filled_qty: o.filled_qty,
      ...(cents === null ? {} : { buying_power_claim: { id: o.id, cents, qty: o.qty } }),
    },
  });
  const open = [
    indexed(placed('ord-1'), 100_000), // in the total
    indexed(placed('ord-2', '4'), 100_000), // in the total (6,000 cents of it left)
    indexed(placed('ord-3'), null), // placed before claims: valued from the read model, 1,000
  ];
  const account = { pk: 'account#acc-1', buyingPower: '100000' };
  const ledger = { pk: 'positions#acc-1', seq: 7, cashFlow: '0', positions: {} };

  it.each<[string, Parameters<typeof loadRiskInputs>[3], string, object | undefined]>([
    [
      'the API check: the total plus the unclaimed',
      {},
      '2600',
      { reservedCents: 160_000, setAsideCents: 0, releasedCents: 30_000, unclaimed: '1000' },
    ],
    [
      'a replace of ord-2: the total less what ord-2 still holds',
      { self: { orderId: 'ord-2', createdAt: at(-1000) }, exposure: 'all' },
      '2000',
      { reservedCents: 100_000, setAsideCents: 60_000, releasedCents: 30_000, unclaimed: '1000' },
    ],
    [
      'the workflow re-check: the unclaimed before it only',
      { self: { orderId: 'ord-9', createdAt: at(0) } },
      '1000',
      undefined,
    ],
  ])('%s', async (_name, options, exposure, openBuys) => {
    accountHolds(account, open);
    marketHolds(ddb, () => ({ last: '100' }), undefined, [
      account,
      ledger,
      // Claims of 1,900 placed, 300 of them given back by executions: 1,600 reserved.
      { pk: 'open-buys#acc-1', cents: 190_000, released: 30_000, ledgerSeq: 7 },
    ]);
    const inputs = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT, options);
    expect(inputs.context.openBuyExposure).toBe(exposure);
    expect(inputs.openBuys).toEqual(openBuys);
  });

  it('a total ahead of the ledger read (an execution committed between the two items) is read again', async () => {
    accountHolds(account, []);
    const reads = [
      // The execution gave its share back (ledgerSeq 8) but the ledger read is from before it (7).
      [account, ledger, { pk: 'open-buys#acc-1', cents: 50_000, ledgerSeq: 8 }],
      [
        account,
        { ...ledger, seq: 8, cashFlow: '-1000' },
        { pk: 'open-buys#acc-1', cents: 50_000, ledgerSeq: 8 },
      ],
    ];
    let n = 0;
    ddb.on(BatchGetCommand).callsFake((input) => {
      const keys = (input.RequestItems?.accounts as { Keys: { pk: string }[] } | undefined)?.Keys;
      // The market's BatchGetItem (quote and asset): none here.
      if (keys === undefined) return { Responses: {}, UnprocessedKeys: {} };
      const items = reads[Math.min(n++, 1)] as Record<string, unknown>[];
      return {
        Responses: { accounts: items.filter((i) => keys.some((k) => k.pk === i.pk)) },
        UnprocessedKeys: {},
      };
    });
    const inputs = await loadRiskInputs('acc-1', buyOne, SUBMITTED_AT);
    expect(n).toBe(2);
    // Cash 100,000 less the execution's 1,000: the second read, of one moment.
    expect(inputs.context.buyingPower).toBe('99000');
    expect(inputs.openBuys?.reservedCents).toBe(50_000);
  });
});

describe('heldBy: the shares open orders hold of a position (core held-shares.ts)', () => {
  const open = (o: Record<string, unknown>) =>
    ({
      symbol: 'AAPL',
      side: 'sell',
      type: 'market',
      status: 'new',
      created_at: iso(SUBMITTED_AT),
      ...o,
    }) as never;
  // biome-ignore format: a table
  it.each<[string, Record<string, unknown>[], bigint | null, string]>([
    ['qty orders: their leaves', [{ id: 'a', qty: '10', filled_qty: '4' }, { id: 'b', qty: '5', filled_qty: '0' }], null, '11'],
    // A probe: open notional sells counted as holding nothing left a no-short account short.
    ['a notional sell: its dollars at the bid (6000 / 99.99, rounded up)', [{ id: 'n', qty: null, notional: '6000', filled_qty: '0' }], 99_990_000_000n, '60.006000601'],
    ['a notional sell partly filled: what is left of its dollars', [{ id: 'n', qty: null, notional: '1000', filled_qty: '5', filled_avg_price: '100' }], 100_000_000_000n, '5'],
    ['a notional sell without a price holds the whole position (nothing left to sell)', [{ id: 'n', qty: null, notional: '1000', filled_qty: '0' }], null, '50'],
    ['another symbol or side: nothing', [{ id: 'x', symbol: 'MSFT', qty: '10', filled_qty: '0' }, { id: 'y', side: 'buy', qty: '10', filled_qty: '0' }], null, '0'],
  ])('%s', (_why, orders, price, held) => {
    expect(formatNanos(heldBy(orders.map(open), 'AAPL', 'sell', price, 50_000_000_000n))).toBe(held);
  });
});
