/**
 * The simulated venue made to diverge on purpose (issue 16: "drop the next report, invent a fill,
 * forget an order"): simulated/divergence.ts, table-driven over the actions and the refusals.
 */
import {
  type Divergence,
  divergedItem,
  parseDivergence,
} from '../../lambdas/broker-gateway/simulated/divergence.js';
import type { VenueOrderItem } from '../../lambdas/broker-gateway/simulated/simulated-venue.js';

const AT = '2026-12-04T15:00:00.000Z';
const resting: VenueOrderItem = {
  orderId: 'o1',
  venueOrderId: 'SIMX-1',
  venue: 'SIMX',
  accountId: 'acct-1',
  symbol: 'ACME',
  side: 'buy',
  type: 'limit',
  timeInForce: 'gtc',
  qty: '10',
  notional: null,
  limitPrice: '45',
  stopPrice: null,
  trailPrice: null,
  trailPercent: null,
  filledQty: '2',
  filledValue: '90',
  triggered: false,
  watermark: null,
  status: 'open',
  restingSymbol: 'ACME',
  replaces: null,
  replacedBy: null,
  reportSeq: 2,
  version: 3,
  executions: [{ execId: 'o1:2', lastQty: '2', lastPx: '45', transactTime: '2026-12-04T14:59:00.000Z' }],
  createdAt: '2026-12-04T14:58:00.000Z',
  updatedAt: '2026-12-04T14:59:00.000Z',
};

const parsed = (body: Record<string, unknown>): Divergence => {
  const p = parseDivergence(body);
  if (!p.ok) throw new Error(p.message);
  return p.divergence;
};

describe('divergedItem: the venue book after each divergence', () => {
  // biome-ignore format: a table
  const cases: [string, Record<string, unknown>, Partial<VenueOrderItem> | 'deleted'][] = [
    ['invent_fill: a fill with no report; the order rests on',       { action: 'invent_fill', order_id: 'o1', qty: '3', price: '44.5' }, { filledQty: '5', status: 'open', restingSymbol: 'ACME', version: 4, filledValue: '223.5' }],
    ['invent_fill to the full qty: filled, out of the book',         { action: 'invent_fill', order_id: 'o1', qty: '8', price: '45' },   { filledQty: '10', status: 'filled', restingSymbol: undefined }],
    ['forget_order: no record at all',                               { action: 'forget_order', order_id: 'o1' },                          'deleted'],
    ['cancel_silently: canceled, out of the book, fills kept',       { action: 'cancel_silently', order_id: 'o1' },                       { status: 'canceled', restingSymbol: undefined, filledQty: '2' }],
    ['alter_fill: the last execution at another price',              { action: 'alter_fill', order_id: 'o1', price: '44' },               { filledQty: '2', filledValue: '88' }],
    ['drop_fill: the last execution forgotten',                      { action: 'drop_fill', order_id: 'o1' },                             { filledQty: '0', filledValue: '0', executions: [] }],
  ];
  it.each(cases)('%s', (_name, body, expected) => {
    const next = divergedItem(resting, parsed(body), 'SIMX', AT);
    if (!next.ok) throw new Error(next.message);
    if (expected === 'deleted') return expect('delete' in next).toBe(true);
    if ('delete' in next) throw new Error('deleted');
    const item = next.item as VenueOrderItem;
    for (const [k, v] of Object.entries(expected))
      expect([k, item[k as keyof VenueOrderItem]]).toEqual([k, v]);
    expect(item.updatedAt).toBe(AT);
  });

  it('invent_fill records the fill under an exec id of its own, last in the venue’s executions', () => {
    const next = divergedItem(
      resting,
      parsed({ action: 'invent_fill', order_id: 'o1', qty: '1', price: '45' }),
      'SIMX',
      AT,
    );
    if (!next.ok || 'delete' in next) throw new Error('not an item');
    expect((next.item as VenueOrderItem).executions?.at(-1)).toEqual({
      execId: 'o1:invented:2',
      lastQty: '1',
      lastPx: '45',
      transactTime: AT,
    });
  });

  it('invent_order: an open resting order under an id the OMS never sent', () => {
    const d = parsed({
      action: 'invent_order',
      order_id: 'ghost-1',
      symbol: 'acme',
      side: 'sell',
      qty: '5',
      price: '99',
    });
    const next = divergedItem(undefined, d, 'SIMY', AT);
    if (!next.ok || 'delete' in next) throw new Error('not an item');
    expect(next.item).toMatchObject({
      orderId: 'ghost-1',
      venue: 'SIMY',
      symbol: 'ACME',
      side: 'sell',
      status: 'open',
      restingSymbol: 'ACME',
    });
  });

  // biome-ignore format: a table
  const refusals: [string, VenueOrderItem | undefined, Record<string, unknown>, string, number][] = [
    ['no such order at the venue',            undefined,                                 { action: 'forget_order', order_id: 'o1' },                          'SIMX', 404],
    ['another venue’s order',                 resting,                                   { action: 'forget_order', order_id: 'o1' },                          'SIMY', 404],
    ['a fill beyond the order’s qty',         resting,                                   { action: 'invent_fill', order_id: 'o1', qty: '9', price: '45' },   'SIMX', 409],
    ['a fill on a closed order',              { ...resting, status: 'canceled' },        { action: 'invent_fill', order_id: 'o1', qty: '1', price: '45' },   'SIMX', 409],
    ['no execution to alter',                 { ...resting, executions: [] },            { action: 'alter_fill', order_id: 'o1', price: '1' },               'SIMX', 409],
    ['inventing an order that exists',        resting,                                   { action: 'invent_order', order_id: 'o1', symbol: 'A', side: 'buy', qty: '1', price: '1' }, 'SIMX', 409],
  ];
  it.each(refusals)('refused: %s', (_name, item, body, venue, status) => {
    const next = divergedItem(item, parsed(body), venue, AT);
    expect(next.ok ? 'applied' : next.status).toBe(status);
  });
});

describe('parseDivergence: each field named when it is wrong', () => {
  // biome-ignore format: a table
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ action: 'explode', order_id: 'o1' },                                   /^action: /],
    [{ action: 'invent_fill', order_id: 'o1', qty: '-1', price: '1' },        /qty: /],
    [{ action: 'invent_fill', order_id: 'o1', qty: '1' },                     /price: /],
    [{ action: 'forget_order' },                                              /order_id: /],
    [{ action: 'forget_order', order_id: 'o1', qty: '1' },                    /qty: is not a field of forget_order/],
    [{ action: 'invent_order', order_id: 'g', symbol: '1', side: 'up', qty: '1', price: '1' }, /symbol: .*side: /s],
  ];
  it.each(cases)('%j', (body, message) => {
    const p = parseDivergence(body);
    expect(p.ok ? 'accepted' : p.message).toMatch(message);
  });
});

describe('adjust_position: a position booked at the venue outside any order (POSITION_MISMATCH)', () => {
  it.each([
    ['a long adjustment', '5', '5'],
    ['a short adjustment', '-2.5', '-2.5'],
    ['canonical text', '007.50', '7.5'],
  ])('%s: qty %s books %s', (_name, qty, booked) => {
    const p = parseDivergence({ action: 'adjust_position', account_id: 'acct-1', symbol: 'acme', qty });
    if (!p.ok) throw new Error(p.message);
    const next = divergedItem(undefined, p.divergence, 'SIMY', AT);
    if (!next.ok || 'delete' in next) throw new Error('not an item');
    expect(next.item).toEqual({
      orderId: expect.stringMatching(/^position-adjustment#/),
      kind: 'position-adjustment',
      venue: 'SIMY',
      accountId: 'acct-1',
      symbol: 'ACME',
      qty: booked,
      at: AT,
    });
  });

  it.each([
    [{ account_id: 'acct-1', symbol: 'ACME', qty: '0' }, 'qty'],
    [{ account_id: 'acct-1', symbol: 'ACME', qty: 'x' }, 'qty'],
    [{ account_id: 'acct-1', symbol: 'ACME', qty: 5 }, 'qty'],
    [{ account_id: 'acct 1', symbol: 'ACME', qty: '1' }, 'account_id'],
    [{ account_id: 'acct-1', symbol: '1BAD', qty: '1' }, 'symbol'],
    [{ account_id: 'acct-1', symbol: 'ACME', qty: '1', order_id: 'o1' }, 'order_id'],
  ])('refuses %j naming %s', (body, field) => {
    const p = parseDivergence({ action: 'adjust_position', ...body });
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toContain(field);
  });
});
