/**
 * Sells of an account that may not sell short, serialized through the position's closing claims,
 * against DynamoDB Local (lambdas/orders/position-availability.ts, closing-claims.ts): probes'
 * concurrent sells (two notional sells of $6,000 and $6,001 on 100 shares at $100; market sells of
 * 40 and 41 with a notional $4,000) each read the same position and left the account short. Each
 * sell here reads the availability and writes its claim over the version read, with its rate window
 * (what the placing transaction does in orders-service.ts), and reads again when it lost the race:
 * only the sells that fit are placed, whatever the interleaving.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { formatNanos, nanos } from '../../lambdas/core/index.js';
import { cancellationCodes, EventStore } from '../../lambdas/event-store/event-store.js';
import { ledgerPk } from '../../lambdas/orders/account-ledger.js';
import { closingClaimsPut } from '../../lambdas/orders/closing-claims.js';
import {
  CLOSING_CLAIMS_ATTEMPTS,
  noShortSellOf,
  readPositionAvailability,
} from '../../lambdas/orders/position-availability.js';
import { rateWindowUpdate } from '../../lambdas/orders/recent-placements.js';
import { ENV } from '../../lambdas/platform/config.js';
import { dynamoDbLocalWith, ordersWithOpenListing, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([
  table('idempotency', 'id'),
  ordersWithOpenListing(),
  table('events', 'orderId', 'seq'),
  table('accounts', 'pk'),
]);
let doc: DynamoDBDocumentClient;
let store: EventStore;
beforeAll(() => {
  doc = local.doc;
  store = new EventStore(doc, 'events');
  process.env[ENV.idempotencyTable] = 'idempotency';
  process.env[ENV.ordersTable] = 'orders';
  process.env[ENV.accountsTable] = 'accounts';
  process.env[ENV.eventStoreTable] = 'events';
});

const SYMBOL = 'SELLQ';
/** A sell's notional shares are counted at the lower of the reference ($100) and the bid ($99.99). */
const PRICE = nanos('99.99');

async function longPosition(qty: string): Promise<string> {
  const accountId = `acct-${randomUUID().slice(0, 8)}`;
  await doc.send(
    new PutCommand({
      TableName: 'accounts',
      Item: {
        pk: ledgerPk(accountId),
        seq: 1,
        cashFlow: '0',
        positions: { [SYMBOL]: { qty, avgEntryPrice: '100', costBasis: '0' } },
        dayTrades: [],
      },
    }),
  );
  return accountId;
}

type Sell = { qty: string } | { notional: string };

/** One sell as placeOrder places it: read, refuse or write the claim over the version read; again on a lost race. */
async function sell(accountId: string, order: Sell, now: number): Promise<'placed' | 'refused' | 'gave_up'> {
  for (let attempt = 1; attempt <= CLOSING_CLAIMS_ATTEMPTS * 4; attempt++) {
    const read = await noShortSellOf(
      doc,
      accountId,
      {
        symbol: SYMBOL,
        qty: 'qty' in order ? nanos(order.qty) : null,
        notional: 'notional' in order ? nanos(order.notional) : null,
      },
      now,
      { store, price: PRICE },
    );
    if (read.kind === 'refused') return 'refused';
    const orderId = randomUUID();
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            closingClaimsPut(
              'idempotency',
              accountId,
              SYMBOL,
              read.read.claims,
              read.read.availability.claims,
              {
                orderId,
                side: 'sell',
                qty: read.shares,
                placedAt: now,
              },
            ),
            { Update: rateWindowUpdate('idempotency', accountId, [orderId], now, null) },
          ],
        }),
      );
      return 'placed';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes === null) throw err;
      // ConditionalCheckFailed: another sell committed first; TransactionConflict: at the same moment.
    }
  }
  return 'gave_up';
}

const NOW = Date.parse('2026-12-05T15:00:00.000Z');

describe('concurrent sells of an account that may not sell short: only those that fit are placed', () => {
  // biome-ignore format: a table
  const rounds: [string, string, Sell[], number][] = [
    // what, position, sells (at once), how many fit
    ['two sells of 60 on 100: one',                                '100', [{ qty: '60' }, { qty: '60' }], 1],
    ['notional $6,000 and $6,001 on 100 at $99.99: one',           '100', [{ notional: '6000' }, { notional: '6001' }], 1],
    ['40, 41 and a notional $4,000 (40.004 shares) on 100: two',   '100', [{ qty: '40' }, { qty: '41' }, { notional: '4000' }], 2],
    ['four sells of 25 on 100: all four',                          '100', [{ qty: '25' }, { qty: '25' }, { qty: '25' }, { qty: '25' }], 4],
  ];
  it.each(rounds)('%s', async (_what, position, sells, fit) => {
    const accountId = await longPosition(position);
    const outcomes = await Promise.all(sells.map((s) => sell(accountId, s, NOW)));
    expect(outcomes.filter((o) => o === 'placed')).toHaveLength(fit);
    expect(outcomes).not.toContain('gave_up');
    // What the placed claims hold never passes the position.
    const after = await readPositionAvailability(doc, accountId, SYMBOL, NOW, {
      store,
      price: async () => PRICE,
    });
    expect(after.availability.held <= nanos(position)).toBe(true);
    expect(formatNanos(after.availability.held + after.availability.available)).toBe(position);
  });

  it('a sell placed a moment before, not yet in the open listing nor claimed, holds its qty (a close after it sees it)', async () => {
    const accountId = await longPosition('100');
    // Only the rate window names it (a sell placed before the claims existed, or by another path)
    // and its view is open: 60 of 100 held.
    const orderId = randomUUID();
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Update: rateWindowUpdate('idempotency', accountId, [orderId], NOW, null) }],
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: 'orders',
        Item: {
          orderId,
          accountId,
          order: {
            id: orderId,
            symbol: SYMBOL,
            side: 'sell',
            type: 'market',
            status: 'new',
            qty: '60',
            notional: null,
            filled_qty: '0',
            filled_avg_price: null,
            created_at: new Date(NOW).toISOString(),
          },
        },
      }),
    );
    const read = await readPositionAvailability(doc, accountId, SYMBOL, NOW, {
      store,
      price: async () => null,
    });
    expect(formatNanos(read.availability.available)).toBe('40');
    expect(await sell(accountId, { qty: '41' }, NOW)).toBe('refused');
    expect(await sell(accountId, { qty: '40' }, NOW)).toBe('placed');
  });
});
