/**
 * The asset master's pure part (core asset.ts): the ids, Alpaca's Asset view, the list's filters,
 * and what an operator's description of an asset becomes (local mode's PUT /local/assets, the
 * AWS import script).
 */
import {
  type Asset,
  applyAssetInput,
  assetFactsOf,
  assetIdOf,
  assetsFromAlpacaList,
  assetsMatching,
  decide,
  defaultAsset,
  isAssetId,
  type OrderState,
  replay,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2026-03-04T15:00:00.000Z');

function asset(symbol: string, input: Record<string, unknown> = {}): Asset {
  const built = applyAssetInput(symbol, input, null);
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return built.asset;
}

describe('ids', () => {
  it("an asset's id is its orders' asset_id (name-based, stable, a version-5 UUID layout)", () => {
    const v = validateOrderRequest(
      { symbol: 'aapl', qty: '1', side: 'buy', type: 'market', time_in_force: 'day' },
      { now: NOW },
    );
    if (!v.ok) throw new Error('invalid');
    const d = decide(undefined, { type: 'submit', orderId: 'o-1', accountId: 'a-1', order: v.order }, NOW);
    if (!d.ok) throw new Error('refused');
    const order = toAlpacaOrder(replay(d.events) as OrderState);
    expect(defaultAsset('aapl').id).toBe(order.asset_id);
    // Pinned: changing the hash would change every stored order's asset_id.
    expect(assetIdOf('AAPL')).toBe(order.asset_id);
    expect(assetIdOf('AAPL')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(isAssetId(assetIdOf('AAPL').toUpperCase())).toBe(true);
    expect(isAssetId('AAPL')).toBe(false);
  });
});

describe('assetsMatching (GET /v2/assets filters)', () => {
  const all = [
    asset('SPY', { exchange: 'ARCA', attributes: ['has_options'] }),
    asset('AAPL', { attributes: ['has_options', 'fractional_eh_enabled'] }),
    asset('OLD', { status: 'inactive' }),
  ];
  it.each<[Parameters<typeof assetsMatching>[1], string[]]>([
    [{ assetClass: 'us_equity' }, ['AAPL', 'OLD', 'SPY']],
    [{ assetClass: 'crypto' }, []],
    [{ assetClass: 'us_equity', status: 'inactive' }, ['OLD']],
    [{ assetClass: 'us_equity', exchange: 'ARCA' }, ['SPY']],
    [{ assetClass: 'us_equity', attributes: ['fractional_eh_enabled', 'ipo'] }, ['AAPL']],
    [{ assetClass: 'us_equity', attributes: [] }, ['AAPL', 'OLD', 'SPY']],
  ])('%j', (filter, symbols) => {
    expect(assetsMatching(all, filter).map((a) => a.symbol)).toEqual(symbols);
  });
});

describe('the facts risk reads', () => {
  it('carry shortable and easy-to-borrow (the short-sale rule), null when not listed', () => {
    expect(assetFactsOf(asset('GME', { easy_to_borrow: false }))).toEqual({
      id: assetIdOf('GME'),
      status: 'active',
      tradable: true,
      fractionable: true,
      marginable: true,
      shortable: true,
      easyToBorrow: false,
    });
    expect(assetFactsOf(null)).toBeNull();
  });
});

describe('the asset item (platform/market-data.ts) and the operator input (core applyAssetInput)', () => {
  it('a default listing: active, tradable, shortable, easy to borrow, fractionable', () => {
    expect(defaultAsset('e2exyz')).toMatchObject({
      symbol: 'E2EXYZ',
      id: assetIdOf('E2EXYZ'),
      status: 'active',
      tradable: true,
      shortable: true,
      easyToBorrow: true,
      fractionable: true,
    });
  });

  it("takes Alpaca's own Asset JSON (its id and derived fields accepted, not kept)", () => {
    const built = applyAssetInput(
      'AAPL',
      {
        id: 'b0b6dd9d-8b9b-48a9-ba46-b9d54906e415',
        class: 'us_equity',
        exchange: 'NASDAQ',
        symbol: 'AAPL',
        name: 'Apple Inc. Common Stock',
        status: 'active',
        tradable: true,
        marginable: true,
        maintenance_margin_requirement: 30,
        margin_requirement_long: '30',
        margin_requirement_short: '30',
        shortable: true,
        easy_to_borrow: true,
        fractionable: true,
        attributes: ['fractional_eh_enabled', 'has_options', 'options_late_close'],
      },
      null,
    );
    expect(built).toMatchObject({
      ok: true,
      asset: { id: assetIdOf('AAPL'), name: 'Apple Inc. Common Stock' },
    });
  });

  it.each<[string, unknown, string]>([
    ['an unknown field', { tradeable: true }, 'tradeable: is not an asset field'],
    ['a flag that is not a boolean', { shortable: 'yes' }, 'shortable: '],
    ['an exchange Alpaca does not list', { exchange: 'LSE' }, 'exchange: '],
    ['another class', { class: 'crypto' }, 'class: '],
    ['another symbol than the path', { symbol: 'MSFT' }, "symbol: must be the path's symbol AAPL"],
    [
      'a margin over 100%',
      { margin_requirement_long: '150' },
      'margin_requirement_long: must be at most 100',
    ],
    ['not an object', [], 'body: '],
  ])('refuses %s, naming the field', (_name, input, message) => {
    const built = applyAssetInput('AAPL', input, null);
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.errors.map((e) => e.message).join('; ')).toContain(message);
  });

  it('updates keep what is not given; borrow_status stands for easy_to_borrow', () => {
    const current = defaultAsset('XYZ');
    const built = applyAssetInput('XYZ', { borrow_status: 'hard_to_borrow', fractionable: false }, current);
    expect(built).toMatchObject({
      ok: true,
      asset: { easyToBorrow: false, fractionable: false, shortable: true, name: 'XYZ' },
    });
  });

  it('a new listing that is not marginable gets a 100% margin requirement', () => {
    expect(applyAssetInput('XYZ', { marginable: false }, null)).toMatchObject({
      ok: true,
      asset: { maintenanceMarginRequirement: 100 },
    });
  });
});

describe('assetsFromAlpacaList (the AWS import: scripts/put-assets.ts)', () => {
  it("takes Alpaca's list: us_equity entries listed, other classes skipped, bad entries named", () => {
    const out = assetsFromAlpacaList([
      { symbol: 'AAPL', class: 'us_equity', exchange: 'NASDAQ', name: 'Apple Inc.', tradable: true },
      { symbol: 'BTC/USD', class: 'crypto', exchange: 'CRYPTO', name: 'Bitcoin' },
      { symbol: 'XYZ', tradable: 'yes' },
      { name: 'no symbol' },
      'AAPL',
    ]);
    expect(out.assets.map((a) => a.symbol)).toEqual(['AAPL']);
    expect(out.skipped).toEqual(['BTC/USD']);
    expect(out.errors).toEqual([
      expect.stringMatching(/^\[2\] XYZ: tradable: /),
      '[3]: symbol: is required',
      '[4]: must be an asset object',
    ]);
  });

  it('one object is a list of one', () => {
    expect(assetsFromAlpacaList({ symbol: 'msft' }).assets.map((a) => a.symbol)).toEqual(['MSFT']);
  });
});
