import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MAX_KEY_ID_LENGTH } from '../../lambdas/orders/accounts.js';
import { createCredentialVerifier } from '../../lambdas/orders/credentials.js';

// A probe: a stream client's authenticate with a key_id of 2,048+ characters (or 1,500 x "é", 3,000
// bytes) read the key record by it, past DynamoDB's 2,048-byte key limit: a ValidationException,
// answered "Internal server error". A key id the OMS never issues is refused before any read.
describe('createCredentialVerifier: a key id longer than any issued is refused unread', () => {
  const reads: unknown[] = [];
  const doc = {
    send: async (command: unknown) => {
      reads.push(command);
      return { Item: undefined };
    },
  } as unknown as DynamoDBDocumentClient;
  const verify = createCredentialVerifier({ doc, accountsTable: () => 'accounts', jwt: () => null });

  it.each<[string, string, number]>([
    ['the longest key id: read (unknown: refused)', 'K'.repeat(MAX_KEY_ID_LENGTH), 1],
    ['one character longer', 'K'.repeat(MAX_KEY_ID_LENGTH + 1), 0],
    ['2,048 characters', 'K'.repeat(2_048), 0],
    ['1,500 x "é" (3,000 bytes)', 'é'.repeat(1_500), 0],
  ])('%s', async (_, keyId, expectedReads) => {
    reads.length = 0;
    const verdict = await verify({ kind: 'apiKey', keyId, secret: 'x' });
    expect(verdict).toMatchObject({ ok: false, reason: 'invalid credentials' });
    expect(reads).toHaveLength(expectedReads);
  });
});
