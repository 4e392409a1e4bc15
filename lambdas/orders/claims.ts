/**
 * Ids of the claim items in the idempotency table (docs/aws.md): a client order id is claimed
 * for ever per account, an Idempotency-Key for a day, a rate window for a minute.
 */
export const coidClaimId = (accountId: string, clientOrderId: string) => `coid#${accountId}#${clientOrderId}`;
export const idemClaimId = (accountId: string, key: string) => `idem#${accountId}#${key}`;
export const rateWindowId = (accountId: string, epochSecond: number) => `rate#${accountId}#${epochSecond}`;

/** The request hash recorded for a replacement's client order id: no placed request matches it. */
export const REPLACEMENT_REQUEST_HASH = 'replacement';
