/**
 * The replacement a PATCH answered whose replace never happened (core abandoned-replacement.ts):
 * GET /v2/orders/{id} and the read model's listings show it from the same derivation, `rejected`
 * when the replace ended. `answeredReplacement` folds the venue's confirmation in without deciding
 * it (the stream consumer's bundle has no room for the command model): it must be exactly
 * `previewPendingReplacement`, what PATCH answered.
 */
import {
  abandonedReplacement,
  answeredReplacement,
  rejectedReplacementOrder,
} from '../../lambdas/core/abandoned-replacement.js';
import { type OrderCommand, previewPendingReplacement, toAlpacaOrder } from '../../lambdas/core/index.js';
import { limitOrder, OrderBook, T0 } from './order-book.js';

const fill = (execId: string, lastQty: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx: '10',
});
const patch = (
  changes: Record<string, string> = { limitPrice: '10.5', clientOrderId: 'c-2' },
): OrderCommand =>
  ({ type: 'requestReplace', replacementOrderId: 'o2', changes, requestedBy: 'client' }) as OrderCommand;

function book(order: ReturnType<typeof limitOrder>, commands: OrderCommand[]): OrderBook {
  const b = new OrderBook();
  b.submit('o1', order);
  for (const c of commands) expect(b.run('o1', c).ok).toBe(true);
  return b;
}

describe('answeredReplacement is previewPendingReplacement (what PATCH answered)', () => {
  // biome-ignore format: a table
  test.each([
    ['requested',                        limitOrder({ qty: '10' }), [{ type: 'accept' }, patch()]],
    ['acknowledged by the venue',        limitOrder({ qty: '10' }), [{ type: 'accept' }, patch(), { type: 'acknowledgeReplace' }]],
    ['partly filled before and after',   limitOrder({ qty: '10' }), [{ type: 'accept' }, fill('e1', '3'), patch({ qty: '8' }), fill('e2', '2')]],
    ['new qty at what has filled',       limitOrder({ qty: '10' }), [{ type: 'accept' }, fill('e1', '4'), patch({ qty: '4' })]],
    ['a gtc order done for the day',     limitOrder({ qty: '10', time_in_force: 'gtc' }), [{ type: 'accept' }, { type: 'doneForDay' }, patch()]],
    ['a trailing stop that trailed',     limitOrder({ qty: '10', type: 'trailing_stop', limit_price: undefined, trail_price: '1', side: 'sell' }), [{ type: 'accept' }, { type: 'moveTrail', hwm: '12' }, patch({ trailPrice: '2' })]],
    ['no request',                       limitOrder({ qty: '10' }), [{ type: 'accept' }]],
    ['refused',                          limitOrder({ qty: '10' }), [{ type: 'accept' }, patch(), { type: 'rejectReplace', reason: 'x' }]],
    ['filled with the request out',      limitOrder({ qty: '10' }), [{ type: 'accept' }, patch(), fill('e1', '10')]],
    ['confirmed',                        limitOrder({ qty: '10' }), [{ type: 'accept' }, patch(), { type: 'confirmReplace' }]],
  ] as [string, ReturnType<typeof limitOrder>, OrderCommand[]][])('%s', (name, order, commands) => {
    const s = book(order, commands).state('o1');
    const now = T0 + 60_000;
    // A replaced order (phase replaced) is not a request outstanding: that preview is another case.
    const expected = s.phase === 'replaced' ? null : previewPendingReplacement(s, now);
    expect(answeredReplacement(s, now)).toEqual(expected);
    // The cases with a request outstanding compare a replacement, not two nulls.
    expect(expected === null).toBe(['no request', 'refused', 'filled with the request out', 'confirmed'].includes(name));
  });
});

describe('abandonedReplacement', () => {
  test.each([
    [
      'the venue refused the replace',
      [{ type: 'accept' }, patch(), { type: 'rejectReplace', reason: 'x' }],
      3,
    ],
    ['the order filled first', [{ type: 'accept' }, patch(), fill('e1', '10')], 3],
    [
      'filled first, then refused: ended at the fill',
      [{ type: 'accept' }, patch(), fill('e1', '10'), { type: 'rejectReplace', reason: 'x' }],
      3,
    ],
    [
      'acknowledged, partly filled, then refused',
      [
        { type: 'accept' },
        patch(),
        { type: 'acknowledgeReplace' },
        fill('e1', '4'),
        { type: 'rejectReplace', reason: 'x' },
      ],
      5,
    ],
  ] as [string, OrderCommand[], number][])(
    '%s: rejected, as PATCH answered it, failed when it ended',
    (_case, commands, endedAtIndex) => {
      const b = book(limitOrder({ qty: '10' }), commands);
      const events = b.events.get('o1') ?? [];
      const request = events.findIndex((e) => e.type === 'OrderReplaceRequested');
      const answered = previewPendingReplacement(
        book(limitOrder({ qty: '10' }), commands.slice(0, 2)).state('o1'),
        Date.parse(events[request]?.occurredAt as string),
      );
      const abandoned = abandonedReplacement(events, 'o2');
      const endedAt = events[endedAtIndex]?.occurredAt;
      expect(abandoned).toEqual({ replacement: answered, endedAt });
      expect(rejectedReplacementOrder(abandoned as NonNullable<typeof abandoned>)).toEqual({
        ...toAlpacaOrder(answered as NonNullable<typeof answered>),
        status: 'rejected',
        failed_at: endedAt,
        updated_at: endedAt,
      });
    },
  );

  test.each([
    ['still outstanding', [{ type: 'accept' }, patch(), fill('e1', '4')]],
    ['confirmed: the replacement opens', [{ type: 'accept' }, patch(), { type: 'confirmReplace' }]],
    ['no request named it', [{ type: 'accept' }, fill('e1', '10')]],
  ] as [string, OrderCommand[]][])('%s: null', (_case, commands) => {
    expect(
      abandonedReplacement(book(limitOrder({ qty: '10' }), commands).events.get('o1') ?? [], 'o2'),
    ).toBeNull();
  });
});
