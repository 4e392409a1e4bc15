/**
 * Every item of a list of keys of one table: 100 keys per BatchGetItem, the keys DynamoDB leaves
 * unprocessed asked again with a bounded backoff (a persistent failure to read them throws).
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
const MAX_ATTEMPTS = 8;

export async function batchGetItems(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: {
    /** Strongly consistent reads (an item written a moment ago is seen). */
    readonly consistent?: boolean;
    readonly projection?: string;
    readonly names?: Record<string, string>;
  } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_KEYS);
    for (let attempt = 0; pending !== undefined && pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error('BatchGetItem kept leaving keys unprocessed');
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ...(options.consistent === true ? { ConsistentRead: true } : {}),
              ...(options.projection === undefined ? {} : { ProjectionExpression: options.projection }),
              ...(options.names === undefined ? {} : { ExpressionAttributeNames: options.names }),
            },
          },
        }),
      );
      items.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return items;
}
