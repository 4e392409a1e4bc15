/**
 * A router's decision splitting a 10-share limit order over two venues: children `c1` (6 shares at
 * SIMX) and `c2` (4 at SIMY). Shared by the projector tests.
 */
const allocation = (venue: string, qty: string, childOrderId: string) => ({
  venue,
  qty,
  notional: null,
  limitPrice: '100',
  expectedPrice: '100',
  liquidity: 'post' as const,
  childOrderId,
});

export const splitDecision = {
  policy: 'best_price',
  marketable: false,
  nbbo: { bid: '99', ask: '101' },
  venues: [],
  excluded: [],
  allocations: [allocation('SIMX', '6', 'c1'), allocation('SIMY', '4', 'c2')],
  reason: 'split over 2 venues',
};
