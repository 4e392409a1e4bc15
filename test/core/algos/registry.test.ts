/**
 * The plugin registry and the contract it enforces on every plugin; from an order request to
 * the algorithm's params; the request fields for slice randomization.
 */
import {
  AlgoContractError,
  type AlgoParams,
  type AlgoPlugin,
  algoParamsFromSpec,
  algorithmFor,
  builtInAlgorithms,
  checkDecision,
  checkPlan,
  createAlgoRegistry,
  type Decision,
  type DecisionInput,
  decideFor,
  planFor,
  seedFromOrderId,
  sliceItems,
  WAIT,
  wholeShares,
} from '../../../lambdas/core/algos/index.js';
import { nanos, ONE } from '../../../lambdas/core/decimal.js';
import { type OrderSpec, specToRequest, validateOrderRequest } from '../../../lambdas/core/order-request.js';
import { newYorkToUtc } from '../../../lambdas/core/session.js';

const MIN = 60_000;
const OPEN = newYorkToUtc(2026, 3, 4, 9, 30);
const CLOSE = newYorkToUtc(2026, 3, 4, 16, 0);

function params(overrides: Partial<AlgoParams> = {}): AlgoParams {
  return {
    algorithm: 'TWAP',
    side: 'buy',
    qty: nanos('100'),
    limitPrice: null,
    startTime: OPEN,
    endTime: OPEN + 10 * MIN,
    displayQty: null,
    maxPercentage: null,
    qtyJitter: null,
    timeJitter: null,
    seed: 1,
    ...overrides,
  };
}

/**
 * A custom algorithm, as README "Adding an algorithm" describes: joins the bid (buy) or the offer
 * (sell) with a limit child for half of what is left, every 5 minutes.
 */
const halfAtTouch: AlgoPlugin = {
  name: 'HALF_AT_TOUCH',
  description: 'half of what is left, as a limit at the near touch, every 5 minutes',
  plan: (p) => {
    const slices = [];
    for (let at = p.startTime; at < p.endTime; at += 5 * MIN) slices.push({ at, qty: 0n });
    return { slices };
  },
  decide: (input): Decision => {
    const { params: p, quote } = input;
    if (input.filledQty >= p.qty) return { kind: 'done', reason: 'filled' };
    if (input.event !== 'slice' || quote === null || input.workingQty > 0n) return WAIT;
    const half = wholeShares((p.qty - input.filledQty) / 2n);
    const qty = half > 0n ? half : p.qty - input.filledQty;
    const price = p.side === 'buy' ? quote.bid : quote.ask;
    return { kind: 'release', child: { qty, type: 'limit', limitPrice: price, timeInForce: 'day' } };
  },
};

const withCustom = builtInAlgorithms.with(halfAtTouch);

function input(p: AlgoParams, overrides: Partial<DecisionInput> = {}): DecisionInput {
  const plan = planFor(withCustom, p);
  return {
    params: p,
    plan,
    event: 'slice',
    sliceIndex: 0,
    now: p.startTime,
    filledQty: 0n,
    workingQty: 0n,
    quote: { bid: nanos('99.98'), ask: nanos('100.02'), last: nanos('100') },
    observedVolume: 0n,
    closedChild: null,
    ...overrides,
  };
}

describe('registry', () => {
  test('the built-ins are registered by name', () => {
    expect(builtInAlgorithms.names()).toEqual(['ICEBERG', 'TWAP', 'VWAP']);
    expect(builtInAlgorithms.get('TWAP')?.name).toBe('TWAP');
    expect(builtInAlgorithms.get('twap')).toBeUndefined();
  });

  test('a custom plugin registered by name is found and used for plan and decision', () => {
    const registry = builtInAlgorithms.with(halfAtTouch);
    expect(registry.names()).toEqual(['HALF_AT_TOUCH', 'ICEBERG', 'TWAP', 'VWAP']);
    expect(builtInAlgorithms.get('HALF_AT_TOUCH')).toBeUndefined(); // registries are values
    const p = params({ algorithm: 'HALF_AT_TOUCH', limitPrice: nanos('100.5') });
    const plan = planFor(registry, p);
    expect(plan.slices.map((s) => (s.at - OPEN) / MIN)).toEqual([0, 5]);
    const decision = decideFor(registry, { ...input(p), plan });
    expect(decision).toEqual({
      kind: 'release',
      child: { qty: nanos('50'), type: 'limit', limitPrice: nanos('99.98'), timeInForce: 'day' },
    });
    expect(decideFor(registry, { ...input(p), plan, filledQty: nanos('99') })).toMatchObject({
      kind: 'release',
      child: { qty: ONE },
    });
  });

  test('the plan as JSON Map items for the workflow (ISO times for the Wait states, decimal text)', () => {
    const plan = planFor(builtInAlgorithms, params({ qty: nanos('10.5'), endTime: OPEN + 2 * MIN }));
    const items = sliceItems(plan);
    expect(items).toEqual([
      { index: 0, at: '2026-03-04T14:30:00.000Z', qty: '5' },
      { index: 1, at: '2026-03-04T14:31:00.000Z', qty: '5.5' },
    ]);
    expect(JSON.parse(JSON.stringify(items))).toEqual(items);
  });

  test('names are unique and upper-case; an unknown algorithm is refused', () => {
    expect(() => builtInAlgorithms.with({ ...halfAtTouch, name: 'TWAP' })).toThrow(/already registered/);
    expect(() => createAlgoRegistry([{ ...halfAtTouch, name: 'twap2' }])).toThrow(/upper-case/);
    expect(() => planFor(builtInAlgorithms, params({ algorithm: 'POV' }))).toThrow(/no algorithm named POV/);
  });
});

describe('the contract every plugin is held to', () => {
  const release = (qty: string, type: 'market' | 'limit' = 'market', limitPrice: string | null = null) =>
    ({
      kind: 'release',
      child: {
        qty: nanos(qty),
        type,
        limitPrice: limitPrice === null ? null : nanos(limitPrice),
        timeInForce: 'day',
      },
    }) as const;
  const zero: Decision = {
    kind: 'release',
    child: { qty: 0n, type: 'market', limitPrice: null, timeInForce: 'day' },
  };

  test.each<[string, Partial<AlgoParams>, Partial<DecisionInput>, Decision, RegExp | null]>([
    ['a release within everything', {}, {}, release('10'), null],
    ['a zero child', {}, {}, zero, /must be positive/],
    [
      'past the parent qty',
      {},
      { filledQty: nanos('60'), workingQty: nanos('30') },
      release('11'),
      /only 10 is neither/,
    ],
    ['exactly the rest', {}, { filledQty: nanos('60'), workingQty: nanos('30') }, release('10'), null],
    [
      'beyond display_qty',
      { displayQty: nanos('20') },
      { workingQty: nanos('15') },
      release('6'),
      /display_qty is 20/,
    ],
    [
      'past max_percentage',
      { maxPercentage: nanos('0.1') },
      { observedVolume: nanos('99') },
      release('10'),
      /budget is 9/,
    ],
    ['after the window', {}, { now: OPEN + 10 * MIN }, release('1'), /window has ended/],
    [
      'a market child of a limit parent',
      { limitPrice: nanos('100') },
      {},
      release('1'),
      /limit children only/,
    ],
    [
      'a buy limit above the parent limit',
      { limitPrice: nanos('100') },
      {},
      release('1', 'limit', '100.01'),
      /trades through/,
    ],
    [
      'a sell limit below the parent limit',
      { side: 'sell', limitPrice: nanos('100') },
      {},
      release('1', 'limit', '99.99'),
      /trades through/,
    ],
    [
      'a buy limit below the parent limit',
      { limitPrice: nanos('100') },
      {},
      release('1', 'limit', '99.5'),
      null,
    ],
    ['a limit off the tick grid', {}, {}, release('1', 'limit', '100.005'), /tick grid/],
    [
      'a market child with a price',
      {},
      {},
      { kind: 'release', child: { qty: ONE, type: 'market', limitPrice: ONE, timeInForce: 'day' } },
      /no limit price/,
    ],
  ])('%s', (_name, p, over, decision, error) => {
    const run = () => checkDecision(input(params(p), over), decision);
    if (error === null) expect(run()).toBe(decision);
    else expect(run).toThrow(error);
  });

  test('waits and done pass untouched', () => {
    expect(checkDecision(input(params()), WAIT)).toBe(WAIT);
  });

  test.each<[string, { at: number; qty: bigint }[], RegExp]>([
    ['no slices', [], /has 0 slices/],
    ['a slice before the start', [{ at: OPEN - 1, qty: 0n }], /before/],
    [
      'slices out of order',
      [
        { at: OPEN + 2, qty: 0n },
        { at: OPEN + 1, qty: 0n },
      ],
      /before/,
    ],
    ['a slice after the end', [{ at: OPEN + 10 * MIN + 1, qty: 0n }], /after the end/],
    [
      'more than the parent',
      [
        { at: OPEN, qty: nanos('60') },
        { at: OPEN, qty: nanos('41') },
      ],
      /more than the parent/,
    ],
    ['a negative slice', [{ at: OPEN, qty: -1n }], /negative/],
    ['fractional ms', [{ at: OPEN + 0.5, qty: 0n }], /whole epoch ms/],
    ['391 slices', Array.from({ length: 391 }, () => ({ at: OPEN, qty: 0n })), /391 slices/],
  ])('a plan with %s is refused', (_name, slices, error) => {
    expect(() => checkPlan(params(), { slices })).toThrow(AlgoContractError);
    expect(() => checkPlan(params(), { slices })).toThrow(error);
  });

  test('a plugin breaking the contract is stopped by decideFor', () => {
    const greedy: AlgoPlugin = {
      ...halfAtTouch,
      name: 'GREEDY',
      decide: (i) => ({
        kind: 'release',
        child: { qty: i.params.qty + ONE, type: 'market', limitPrice: null, timeInForce: 'ioc' },
      }),
    };
    const registry = builtInAlgorithms.with(greedy);
    const p = params({ algorithm: 'GREEDY' });
    const plan = planFor(registry, p);
    expect(() => decideFor(registry, { ...input(params()), params: p, plan })).toThrow(AlgoContractError);
  });
});

describe('from an order request to the algorithm', () => {
  const NOW = OPEN - 5 * MIN;
  const base = { symbol: 'ACME', qty: '1000', side: 'buy', type: 'market', time_in_force: 'day' };
  const spec = (adv: Record<string, unknown>, extra: Record<string, unknown> = {}): OrderSpec => {
    const v = validateOrderRequest({ ...base, ...extra, advanced_instructions: adv }, { now: NOW });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.order;
  };
  const ctx = { orderId: 'ord-42', now: NOW, defaultEndTime: CLOSE };

  test.each<[string, Record<string, unknown>, string | null]>([
    ['TWAP', { algorithm: 'TWAP' }, 'TWAP'],
    ['VWAP with display_qty (slices go out in clips)', { algorithm: 'VWAP', display_qty: '100' }, 'VWAP'],
    ['DMA with display_qty is an iceberg', { algorithm: 'DMA', display_qty: '100' }, 'ICEBERG'],
    ['plain DMA goes to the venue as it is', { algorithm: 'DMA' }, null],
  ])('%s', (_name, adv, name) => {
    expect(algorithmFor(spec(adv))).toBe(name);
  });

  test('every instruction becomes an exact param; the seed comes from the order id', () => {
    const s = spec(
      {
        algorithm: 'TWAP',
        display_qty: '50',
        max_percentage: '0.25',
        qty_jitter: '0.2',
        time_jitter: '0.35',
        start_time: new Date(OPEN).toISOString(),
        end_time: new Date(OPEN + 60 * MIN).toISOString(),
      },
      { type: 'limit', limit_price: '12.34' },
    );
    expect(algoParamsFromSpec(s, ctx)).toEqual({
      ok: true,
      params: {
        algorithm: 'TWAP',
        side: 'buy',
        qty: nanos('1000'),
        limitPrice: nanos('12.34'),
        startTime: OPEN,
        endTime: OPEN + 60 * MIN,
        displayQty: nanos('50'),
        maxPercentage: nanos('0.25'),
        qtyJitter: nanos('0.2'),
        timeJitter: nanos('0.35'),
        seed: seedFromOrderId('ord-42'),
      },
    });
  });

  test('no start_time: from acceptance; no end_time: the default end (session close)', () => {
    const r = algoParamsFromSpec(spec({ algorithm: 'VWAP' }), ctx);
    expect(r.ok && [r.params.startTime, r.params.endTime]).toEqual([NOW, CLOSE]);
  });

  test('a start_time already past starts at acceptance', () => {
    const s = spec({ algorithm: 'TWAP', start_time: new Date(NOW - 60 * MIN).toISOString() });
    const r = algoParamsFromSpec(s, ctx);
    expect(r.ok && r.params.startTime).toBe(NOW);
  });

  test('accepted after the end: refused with the reason', () => {
    const s = spec({ algorithm: 'TWAP', end_time: new Date(OPEN).toISOString() });
    expect(algoParamsFromSpec(s, { ...ctx, now: OPEN + 1 })).toEqual({
      ok: false,
      reason: expect.stringMatching(/window has ended/),
    });
    expect(algoParamsFromSpec(spec({ algorithm: 'DMA' }), ctx)).toEqual({
      ok: false,
      reason: 'not an algorithmic order',
    });
  });
});

describe('request fields qty_jitter and time_jitter', () => {
  const NOW = OPEN - 5 * MIN;
  const body = (adv: Record<string, unknown>) => ({
    symbol: 'ACME',
    qty: '1000',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    advanced_instructions: { algorithm: 'TWAP', ...adv },
  });
  const errorsOf = (adv: Record<string, unknown>) => {
    const v = validateOrderRequest(body(adv), { now: NOW });
    return v.ok ? [] : v.errors.map((e) => [e.code, e.field, e.message]);
  };

  test('accepted as canonical decimals, and absent when not given (older specs are unchanged)', () => {
    const v = validateOrderRequest(body({ qty_jitter: '0.250', time_jitter: 0.5 }), { now: NOW });
    expect(v.ok && v.order.advancedInstructions).toMatchObject({ qtyJitter: '0.25', timeJitter: '0.5' });
    const plain = validateOrderRequest(body({}), { now: NOW });
    expect(plain.ok && Object.keys(plain.order.advancedInstructions ?? {})).not.toContain('qtyJitter');
  });

  test('round trip through specToRequest (replace re-validation keeps them)', () => {
    const v = validateOrderRequest(body({ qty_jitter: '0.1', time_jitter: '0.2' }), { now: NOW });
    if (!v.ok) throw new Error('invalid');
    expect(validateOrderRequest(specToRequest(v.order), { now: NOW })).toEqual(v);
  });

  test.each<[string, Record<string, unknown>, [string, string, string][]]>([
    [
      'above 0.5',
      { qty_jitter: '0.6' },
      [
        [
          'out_of_range',
          'advanced_instructions.qty_jitter',
          'advanced_instructions.qty_jitter: must be at most 0.5',
        ],
      ],
    ],
    [
      'more than 3 decimal places',
      { time_jitter: '0.1234' },
      [
        [
          'too_precise',
          'advanced_instructions.time_jitter',
          'advanced_instructions.time_jitter: has more than 3 decimal places',
        ],
      ],
    ],
    [
      'zero',
      { time_jitter: '0' },
      [
        [
          'not_positive',
          'advanced_instructions.time_jitter',
          'advanced_instructions.time_jitter: must be greater than 0',
        ],
      ],
    ],
    [
      'not a decimal',
      { qty_jitter: 'lots' },
      [
        [
          'not_a_decimal',
          'advanced_instructions.qty_jitter',
          'advanced_instructions.qty_jitter: must be a plain decimal such as "10" or "10.25"',
        ],
      ],
    ],
    [
      'a boolean',
      { qty_jitter: true },
      [
        [
          'invalid_type',
          'advanced_instructions.qty_jitter',
          'advanced_instructions.qty_jitter: must be a decimal string or number',
        ],
      ],
    ],
    [
      'on DMA (an iceberg has no slices)',
      { algorithm: 'DMA', display_qty: '10', qty_jitter: '0.1', time_jitter: '0.1' },
      [
        [
          'not_allowed',
          'advanced_instructions.qty_jitter',
          'advanced_instructions.qty_jitter: is only for TWAP and VWAP',
        ],
        [
          'not_allowed',
          'advanced_instructions.time_jitter',
          'advanced_instructions.time_jitter: is only for TWAP and VWAP',
        ],
      ],
    ],
  ])('refused: %s', (_name, adv, expected) => {
    expect(errorsOf(adv)).toEqual(expected);
  });
});
