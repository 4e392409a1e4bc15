/**
 * A write that could not finish before its function times out is not started: a request answered
 * 500 by the timeout while its write committed tells the client it failed when it did not (a probe:
 * 150 POSTs at once on local mode's two cores, 63 answered 500 after 10 s, 46 of them placed; a
 * bot that resends without a client order id doubles its position). Past `writeBy` (epoch ms) the
 * write throws an error named `WriteContention`, which the API answers 503 with `Retry-After`:
 * nothing was written, a retry is safe (order-api/http.ts).
 */
export function writeInTime(writeBy: number | undefined, nothing: string, now: number = Date.now()): void {
  if (writeBy !== undefined && now > writeBy)
    throw Object.assign(new Error(`${nothing} in time`), { name: 'WriteContention' });
}
