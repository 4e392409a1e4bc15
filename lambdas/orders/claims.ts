/**
 * Ids of the claim items in the idempotency table (docs/aws.md): a client order id is claimed
 * for ever per account, an Idempotency-Key for a day, a rate window for a minute.
 */
export const coidClaimId = (accountId: string, clientOrderId: string) => `coid#${accountId}#${clientOrderId}`;
export const idemClaimId = (accountId: string, key: string) => `idem#${accountId}#${key}`;
export const rateWindowId = (accountId: string, epochSecond: number) => `rate#${accountId}#${epochSecond}`;
/**
 * The duplicate rule's claim (core `duplicateKeyOf`, hashed): held by the latest order with that
 * key for the duplicate window, taken in the placing transaction (lambdas/orders/orders-service.ts).
 */
export const duplicateClaimId = (accountId: string, duplicateKeyHash: string) =>
  `dup#${accountId}#${duplicateKeyHash}`;

/** The request hash recorded for a replacement's client order id: no placed request matches it. */
export const REPLACEMENT_REQUEST_HASH = 'replacement';

/**
 * Pointers from a replacement still awaiting the venue (`OrderReplaceRequested`) to the order it
 * replaces, by the replacement's id and by its client order id: a GET of either right after the
 * PATCH finds the replacement (read-after-write) before the venue's `replaced` opens it. They
 * live a week (TTL); by then the venue has answered and the replacement is in the event store.
 */
export const pendingReplacementId = (replacementOrderId: string) => `replacing#${replacementOrderId}`;
/** No longer written (the replace request claims the client order id itself); read for a week's old pointers. */
export const pendingReplacementCoidId = (accountId: string, clientOrderId: string) =>
  `replacing-coid#${accountId}#${clientOrderId}`;
export const PENDING_REPLACEMENT_TTL_SECONDS = 7 * 24 * 60 * 60;
