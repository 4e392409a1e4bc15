/**
 * DELETE /v2/orders/{order_id} while a PATCH of the order is outstanding at the venue (an SDK probe:
 * a bot that replaces and then cancels got 422 and could read it as an order it cannot cancel, left
 * live): the DELETE waits for the venue's answer (4.5 s at most, `REPLACE_ANSWER_WAITS_MS`), then
 * cancels the order that works what was asked: the replacement when the venue replaced the order,
 * else the order itself. Asked of the replacement before it is an order, the same. The waits are
 * stubbed here: each one lets the venue's answer land at a chosen wait.
 */
import './env.js';
import type { OrderCommand } from '../../lambdas/core/index.js';
import { handler as cancel, REPLACE_ANSWER_WAITS_MS } from '../../lambdas/order-api/cancel-order.js';
import { pendingReplacementId } from '../../lambdas/orders/claims.js';
import { FakeDynamo } from './fake-dynamo.js';
import {
  ACCOUNT,
  apiEvent,
  appendCommands,
  openReplacementOf,
  parse,
  replaceOf,
  seedOrder,
  storedEvents,
  T0,
} from './fixtures.js';

/** Each wait of the DELETE resolves at once, and runs what the test lets happen at that wait. */
const mockWaits = { count: 0, at: (_n: number): void => undefined };
jest.mock('node:timers/promises', () => ({
  ...jest.requireActual('node:timers/promises'),
  setTimeout: jest.fn(async () => {
    mockWaits.count++;
    mockWaits.at(mockWaits.count);
  }),
}));

const fake = new FakeDynamo();
beforeEach(() => {
  fake.reset();
  mockWaits.count = 0;
  mockWaits.at = () => undefined;
  jest.spyOn(Date, 'now').mockReturnValue(T0 + 1000);
});
afterEach(() => jest.restoreAllMocks());

const del = (orderId: string) =>
  cancel(apiEvent({ routeKey: 'DELETE /v2/orders/{order_id}', pathParameters: { order_id: orderId } }));
const types = (orderId: string) => storedEvents(fake, orderId).map((e) => e.type);

/** `o-1` accepted, its PATCH (replacement `o-1r`) awaiting the venue, as the PATCH leaves it. */
function replacePending() {
  seedOrder(fake, 'o-1', { commands: replaceOf('o-1r', false) });
  fake.put('idempotency', { id: pendingReplacementId('o-1r'), orderId: 'o-1', accountId: ACCOUNT });
}

/** What the venue (and the applier) do `k` waits after the one they answer at (k = 0: that wait). */
const VENUE: Record<string, (k: number) => void> = {
  'replaces it': (k) => {
    if (k !== 0) return;
    appendCommands(fake, 'o-1', [{ type: 'confirmReplace' }]);
    openReplacementOf(fake, 'o-1');
  },
  // The replace is confirmed, the replacement opened a wait later (the applier's next step).
  'replaces it, the replacement opened a wait later': (k) => {
    if (k === 0) appendCommands(fake, 'o-1', [{ type: 'confirmReplace' }]);
    if (k === 1) openReplacementOf(fake, 'o-1');
  },
  'refuses the replace': (k) => {
    if (k === 0) appendCommands(fake, 'o-1', [{ type: 'rejectReplace', reason: 'too_late_to_replace' }]);
  },
  'fills the order first': (k) => {
    if (k === 0)
      appendCommands(fake, 'o-1', [
        { type: 'fill', execId: 'e1', lastQty: '10', lastPx: '100' },
      ] as OrderCommand[]);
  },
  'answers nothing': () => undefined,
};

// biome-ignore format: table
const cases: { asked: 'o-1' | 'o-1r'; venue: keyof typeof VENUE; answerAt: number; status: number; canceled: string | null; message?: RegExp }[] = [
  // DELETE of the order whose replace is outstanding:
  { asked: 'o-1',  venue: 'replaces it',                                    answerAt: 1, status: 204, canceled: 'o-1r' },
  { asked: 'o-1',  venue: 'replaces it, the replacement opened a wait later', answerAt: 2, status: 204, canceled: 'o-1r' },
  { asked: 'o-1',  venue: 'refuses the replace',                            answerAt: 3, status: 204, canceled: 'o-1' },
  { asked: 'o-1',  venue: 'fills the order first',                          answerAt: 1, status: 422, canceled: null, message: /^order is not cancelable: .*filled/ },
  { asked: 'o-1',  venue: 'answers nothing',                                answerAt: 1, status: 422, canceled: null, message: /^order is not cancelable: .*request outstanding/ },
  // DELETE of the replacement, not an order yet:
  { asked: 'o-1r', venue: 'replaces it',                                    answerAt: 2, status: 204, canceled: 'o-1r' },
  { asked: 'o-1r', venue: 'replaces it, the replacement opened a wait later', answerAt: 2, status: 204, canceled: 'o-1r' },
  // The client's last word is "cancel": the order the replacement was to replace is still live.
  { asked: 'o-1r', venue: 'refuses the replace',                            answerAt: 1, status: 204, canceled: 'o-1' },
  { asked: 'o-1r', venue: 'fills the order first',                          answerAt: 1, status: 422, canceled: null, message: /^order is not cancelable: .*filled/ },
  { asked: 'o-1r', venue: 'answers nothing',                                answerAt: 1, status: 422, canceled: null, message: /^order is not cancelable: it is the replacement of order o-1, pending at the venue; retry once it opens$/ },
];

test.each(cases)(
  'DELETE $asked, the venue $venue at wait $answerAt: $status, cancel asked of $canceled',
  async ({ asked, venue, answerAt, status, canceled, message }) => {
    replacePending();
    mockWaits.at = (n) => VENUE[venue]?.(n - answerAt);
    const res = await del(asked);
    expect([res.statusCode, res.statusCode === 204 ? null : parse(res.body).code]).toEqual([
      status,
      status === 204 ? null : 42210000,
    ]);
    if (message !== undefined) expect(parse(res.body).message).toMatch(message);
    for (const id of ['o-1', 'o-1r'])
      expect(types(id).filter((t) => t === 'OrderCancelRequested')).toHaveLength(id === canceled ? 1 : 0);
    // Unanswered: every wait was waited, about 3 s in all, and nothing was written.
    if (venue === 'answers nothing') expect(mockWaits.count).toBe(REPLACE_ANSWER_WAITS_MS.length);
  },
);

test('the waits add up to 4.5 s: within the write deadline of a 10 s function (5 s)', () => {
  expect(REPLACE_ANSWER_WAITS_MS.reduce((a, b) => a + b, 0)).toBe(4_500);
});

test('the waits stop before the write deadline: 422, nothing written', async () => {
  replacePending();
  const res = await cancel(
    apiEvent({ routeKey: 'DELETE /v2/orders/{order_id}', pathParameters: { order_id: 'o-1' } }),
    { getRemainingTimeInMillis: () => 3_700 } as never,
  );
  // 3.7 s left: the write deadline is 0.7 s away (3 s kept), and the waits stop before it.
  expect(res.statusCode).toBe(422);
  expect(mockWaits.count).toBeLessThan(REPLACE_ANSWER_WAITS_MS.length);
  expect(types('o-1')).not.toContain('OrderCancelRequested');
});

test('a parallel DELETE asked the cancel during the wait: 204, one cancel request', async () => {
  replacePending();
  mockWaits.at = (n) => {
    if (n !== 1) return;
    appendCommands(fake, 'o-1', [{ type: 'rejectReplace', reason: 'too_late_to_replace' }]);
    appendCommands(fake, 'o-1', [{ type: 'requestCancel', requestedBy: 'bot-2' }]);
  };
  expect((await del('o-1')).statusCode).toBe(204);
  expect(types('o-1').filter((t) => t === 'OrderCancelRequested')).toHaveLength(1);
});

test('no replace outstanding: no wait (a plain cancel, and a closed order, answer at once)', async () => {
  seedOrder(fake, 'o-1', { commands: [{ type: 'accept', venueOrderId: 'v-1' }] });
  seedOrder(fake, 'o-2', {
    commands: [
      { type: 'accept', venueOrderId: 'v-2' },
      { type: 'fill', execId: 'e1', lastQty: '10', lastPx: '100' },
    ] as OrderCommand[],
  });
  expect((await del('o-1')).statusCode).toBe(204);
  expect((await del('o-2')).statusCode).toBe(422);
  expect((await del('o-3')).statusCode).toBe(404);
  expect(mockWaits.count).toBe(0);
});
