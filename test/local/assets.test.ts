/** The asset master local mode starts with (local/assets.ts): the default list and the quoted symbols. */
import { assetIdOf, toAlpacaAsset } from '../../lambdas/core/index.js';
import { DEFAULT_ASSETS, seedAssets } from '../../local/assets.js';
import { DEMO_SYMBOLS } from '../../local/oms-local.js';

it('lists every default asset and every symbol quoted from the start (OMS_SYMBOLS), each once', () => {
  const assets = seedAssets([...DEMO_SYMBOLS, 'e2ezzz', 'AAPL']);
  const symbols = assets.map((a) => a.symbol);
  expect(new Set(symbols).size).toBe(symbols.length);
  for (const s of [...Object.keys(DEFAULT_ASSETS), ...DEMO_SYMBOLS, 'E2EZZZ']) expect(symbols).toContain(s);
  for (const a of assets) expect(a.id).toBe(assetIdOf(a.symbol));
  // A quoted symbol the list does not have is a default asset; one it has keeps the list's flags.
  expect(assets.find((a) => a.symbol === 'E2EZZZ')).toMatchObject({ tradable: true, fractionable: true });
  expect(assets.find((a) => a.symbol === 'AAPL')?.name).toBe('Apple Inc. Common Stock');
});

it('has both kinds of asset to try: whole shares only (BRK.A) and hard to borrow (GME)', () => {
  const bySymbol = new Map(seedAssets([]).map((a) => [a.symbol, toAlpacaAsset(a)]));
  expect(bySymbol.get('BRK.A')).toMatchObject({ fractionable: false, min_trade_increment: '1' });
  expect(bySymbol.get('GME')).toMatchObject({
    shortable: true,
    easy_to_borrow: false,
    borrow_status: 'hard_to_borrow',
  });
  expect(bySymbol.get('SPY')).toMatchObject({ exchange: 'ARCA', tradable: true, status: 'active' });
});
