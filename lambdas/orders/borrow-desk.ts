/**
 * The borrow desk a locate asks (Reg SHO Rule 203(b)(1)): how many shares of a symbol it can lend,
 * and taking what it lends. Here the desk is one ACCOUNTS_TABLE item per symbol
 * (`borrow-desk#<SYMBOL>`, `available` whole shares): locally an operator sets it
 * (`PUT /local/borrow/{symbol}`); on AWS the firm's daily availability file from its lender (or the
 * prime broker's locate service, an adapter behind the same two calls) writes it. A symbol the
 * desk has no item for has nothing to lend (fail closed: the locate is rejected).
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type Nanos, ONE } from '../core/index.js';
import type { TransactItem } from '../event-store/event-store.js';

export const borrowDeskPk = (symbol: string) => `borrow-desk#${symbol.toUpperCase()}`;

/** Whole shares the desk can lend now (0 when it has no item for the symbol). */
export async function deskAvailable(
  doc: DynamoDBDocumentClient,
  table: string,
  symbol: string,
): Promise<Nanos> {
  const got = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: borrowDeskPk(symbol) }, ConsistentRead: true }),
  );
  const n = Number(got.Item?.available);
  return Number.isSafeInteger(n) && n > 0 ? BigInt(n) * ONE : 0n;
}

/** The transaction's item that takes `qty` (whole shares, nanos) from the desk: only while it has them. */
export function deskTakeItem(table: string, symbol: string, qty: Nanos): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: { pk: borrowDeskPk(symbol) },
      UpdateExpression: 'SET available = available - :q',
      ConditionExpression: 'available >= :q',
      ExpressionAttributeValues: { ':q': Number(qty / ONE) },
    },
  };
}
