/**
 * The daily CAT-shaped export (issue 16): an EventBridge schedule after the New York day has ended
 * exports the previous New York date; an operator may invoke it for any date with `{"date":
 * "YYYY-MM-DD"}` (e.g. after a late correction). Reads the event store after the fact: nothing on
 * an order's path (cat-day.ts "the read"). Writes to the WORM audit bucket.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { isCatDate } from '../core/cat-export.js';
import { newYorkDate } from '../core/session.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger } from '../platform/observability.js';
import { s3 } from '../platform/s3.js';
import { type ExportResult, exportDay } from './cat-day.js';
import { s3Store } from './s3-store.js';

const DAY_MS = 86_400_000;

const onDemand = z.object({
  date: z
    .string('date: must be a date YYYY-MM-DD')
    .check(z.refine(isCatDate, 'date: must be a date YYYY-MM-DD')),
});
// The scheduled event: its `time` is when it fired.
const scheduled = z.object({ time: z.iso.datetime('time: must be an ISO-8601 UTC time') });

/** The New York date a request asks for: its `date`, or the day before the schedule fired (New York). */
export function requestedDate(event: unknown): string {
  const isDateRequest = typeof event === 'object' && event !== null && 'date' in event;
  const parsed = isDateRequest ? onDemand.safeParse(event) : scheduled.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(
      issue?.path.length === 0
        ? 'request: give {"date": "YYYY-MM-DD"} or a scheduled event'
        : (issue?.message ?? 'request: invalid'),
    );
  }
  const v = parsed.data;
  if ('date' in v) return v.date;
  return newYorkDate(Date.parse(v.time) - DAY_MS);
}

export async function handler(event: unknown, context?: Context): Promise<ExportResult> {
  if (context !== undefined) logger.addContext(context);
  const date = requestedDate(event);
  const result = await exportDay(
    { doc: dynamo, eventStoreTable: requiredEnv(ENV.eventStoreTable) },
    s3Store(s3, requiredEnv(ENV.auditBucket)),
    date,
    requiredEnv(ENV.catReporterImid),
  );
  logger.info('CAT export', { ...result });
  return result;
}
