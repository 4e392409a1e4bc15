/**
 * The account ledger against the real DynamoDB Local (issue 13, "Positions must be right under the
 * same races as orders"): for any executions of several orders of one account, applied by
 * concurrent writers with stale hints and redeliveries, every execution is applied exactly once,
 * the account's sequence has no gap, the stored ledger is the fold of its events in sequence
 * order, and cash flow + cost basis - realized P&L = 0.
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import {
  applyExecution,
  EMPTY_LEDGER,
  type LedgerExecution,
  type LedgerState,
  parseSigned9,
  parseSigned18,
} from '../../lambdas/core/index.js';
import { AccountLedger } from '../../lambdas/orders/account-ledger.js';
import {
  openBuysCents,
  openBuysOf,
  openBuysPk,
  releaseAtSettlement,
  reserveItem,
} from '../../lambdas/orders/buying-power-reservations.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([
  table('events', 'orderId', 'seq'),
  table('accounts', 'pk'),
  table('idempotency', 'id'),
]);
let doc: DynamoDBDocumentClient;
let ledger: AccountLedger;
beforeAll(() => {
  doc = local.doc;
  ledger = new AccountLedger(doc, { events: 'events', accounts: 'accounts', idempotency: 'idempotency' });
});

let accounts = 0;

function execution(
  orderId: string,
  i: number,
  side: 'buy' | 'sell',
  qty: string,
  price: string,
): LedgerExecution {
  return {
    orderId,
    execId: `${orderId}-x${i}`,
    orderEventId: `${orderId}:${i + 2}`,
    symbol: orderId.endsWith('m') ? 'MSFT' : 'AAPL',
    side,
    qty,
    price,
    transactionTime: '2026-12-03T15:00:00.000Z',
    cumQty: qty,
    leavesQty: '0',
    orderStatus: 'partially_filled',
    sessionDate: '2026-12-03',
    // A buy gives back a share of its order's buying power claim with its cost (one cent a share).
    ...(side === 'buy' ? { buyingPowerRelease: Number(qty) } : {}),
  };
}

const fill = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  qty: fc.integer({ min: 1, max: 500 }).map(String),
  price: fc.integer({ min: 100, max: 50_000 }).map((c) => (c / 100).toFixed(2)),
});

test('concurrent writers, stale hints and redeliveries: each execution once, the ledger is the fold of its events', async () => {
  await fc.assert(
    fc.asyncProperty(
      // Three orders' executions; each order's are applied in order (the stream keeps an order's order).
      fc.array(fc.array(fill, { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (orders, redeliveries) => {
        const accountId = `acc-${++accounts}`;
        const perOrder = orders.map((fills, o) =>
          fills.map((f, i) =>
            execution(`${accountId}-o${o}${o === 1 ? 'm' : ''}`, i, f.side, f.qty, f.price),
          ),
        );
        const all = perOrder.flat();
        // Each order is one writer; a stale hint (the empty ledger) is given to every first apply.
        await Promise.all(
          perOrder.map(async (execs) => {
            let known: LedgerState | undefined = EMPTY_LEDGER;
            for (const e of execs) {
              const out = await ledger.apply(accountId, e, 1_800_000_000, known);
              known = out.kind === 'applied' ? out.ledger : undefined;
            }
          }),
        );
        // Redelivered executions (any of them, again) write nothing.
        for (const r of redeliveries) {
          const e = all[r % all.length] as LedgerExecution;
          expect((await ledger.apply(accountId, e, 1_800_000_000, EMPTY_LEDGER)).kind).toBe('duplicate');
        }
        const events = await ledger.events(accountId, { limit: 1000 });
        expect(events.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
        expect(new Set(events.map((e) => e.data.execId)).size).toBe(all.length);
        // Each order's executions appear in its own order.
        for (const execs of perOrder) {
          const seen = events.filter((e) => e.data.orderId === execs[0]?.orderId).map((e) => e.data.execId);
          expect(seen).toEqual(execs.map((e) => e.execId));
        }
        // The stored ledger is the fold of the events in sequence order.
        let folded = EMPTY_LEDGER;
        for (const e of events) {
          const r = applyExecution(folded, accountId, {
            ...e.data,
          });
          expect(r.event).toEqual(e);
          folded = r.ledger;
        }
        const stored = await ledger.load(accountId);
        expect(stored).toEqual(folded);
        const realized = events.reduce((s, e) => s + parseSigned18(e.data.realizedPl), 0n);
        const cost = Object.values(stored.positions).reduce((s, p) => s + parseSigned18(p.costBasis), 0n);
        expect(parseSigned18(stored.cashFlow) + cost - realized).toBe(0n);
        const qty = (symbol: string) =>
          all
            .filter((e) => e.symbol === symbol)
            .reduce((s, e) => s + (e.side === 'buy' ? 1n : -1n) * parseSigned9(e.qty), 0n);
        expect(parseSigned9(stored.positions.AAPL?.qty ?? '0')).toBe(qty('AAPL'));
        expect(parseSigned9(stored.positions.MSFT?.qty ?? '0')).toBe(qty('MSFT'));
        // Each buy gave its share of the buying power claim back once, with its cost; the total
        // records the ledger's seq of the last one (risk reads the two as of one moment).
        const reservations = await doc.send(
          new GetCommand({ TableName: 'accounts', Key: { pk: openBuysPk(accountId) }, ConsistentRead: true }),
        );
        const released = all.reduce((s, e) => s + (e.buyingPowerRelease ?? 0), 0);
        const lastRelease = Math.max(0, ...events.filter((e) => e.data.side === 'buy').map((e) => e.seq));
        // Executions move `released` (with the cash), never the claims' `cents`.
        expect(openBuysOf(reservations.Item)).toEqual({ cents: 0, released, ledgerSeq: lastRelease });
      },
    ),
    { numRuns: 25 },
  );
}, 120_000);

test('buying power reservations: concurrent claims pass only while they fit; a settlement gives the rest back once', async () => {
  const accountId = `acc-bp-${++accounts}`;
  // Ten concurrent placements of 2,700 against a ceiling of 10,000 less each: three fit.
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      doc
        .send(
          new TransactWriteCommand({
            TransactItems: [
              reserveItem('accounts', accountId, 270_000, 1_000_000 - 270_000),
              {
                Put: {
                  TableName: 'idempotency',
                  Item: { id: `${accountId}-claim-${i}` },
                  ConditionExpression: 'attribute_not_exists(id)',
                },
              },
            ],
          }),
        )
        .then(
          () => 'placed',
          (err: Error) => err.name,
        ),
    ),
  );
  expect(outcomes.filter((o) => o === 'placed')).toHaveLength(3);
  expect(await openBuysCents(doc, 'accounts', accountId)).toBe(810_000);
  // One of them is canceled: its claim comes back once, however often the record is delivered.
  const release = { accountId, claimId: `${accountId}-o1`, cents: 270_000 };
  const tables = { accounts: 'accounts', markers: 'idempotency' };
  expect(await releaseAtSettlement(doc, tables, release, 1_800_000_000)).toBe('released');
  expect(await releaseAtSettlement(doc, tables, release, 1_800_000_000)).toBe('already');
  expect(await openBuysCents(doc, 'accounts', accountId)).toBe(540_000);
}, 60_000);

test('a fill landing between a buy’s read and its placing transaction changes neither side of its condition (a probe let two buys that did not fit together both pass)', async () => {
  const accountId = `acc-bp-${++accounts}`;
  const reserve = (addCents: number, ceilingCents: number) =>
    doc
      .send(
        new TransactWriteCommand({
          TransactItems: [reserveItem('accounts', accountId, addCents, ceilingCents)],
        }),
      )
      .then(
        () => 'placed',
        (err: Error) => err.name,
      );
  // $3,000 of buying power; a market buy of 10 at 100 has claimed $1,000: $2,000 of room.
  expect(await reserve(100_000, 300_000 - 100_000)).toBe('placed');
  // Two buys of $1,397 read that (cash 3,000, nothing released yet): each ceiling = 3,000 - 1,397.
  const ceiling = 300_000 - 139_700 + 0;
  // The market buy fills before they write: the cash drops $1,000 and its claim is given back.
  const filled = await ledger.apply(
    accountId,
    { ...execution(`${accountId}-o1`, 0, 'buy', '10', '100'), buyingPowerRelease: 100_000 },
    1_800_000_000,
  );
  expect(filled.kind).toBe('applied');
  // Of the two, one fits in the $2,000 left, not both.
  expect([await reserve(139_700, ceiling), await reserve(139_700, ceiling)]).toEqual([
    'placed',
    'TransactionCanceledException',
  ]);
}, 60_000);
