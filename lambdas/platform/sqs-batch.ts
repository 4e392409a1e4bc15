/**
 * An SQS batch through Powertools' partial batch processing, with a processor of its own per batch.
 *
 * Powertools' `BatchProcessor` keeps the batch it works on (records, successes, failures) on the
 * instance. One instance at module scope, shared by two batches in flight in one process, answers a
 * batch with the other's state: a record that failed reads as processed, and the queue deletes it
 * instead of delivering it again (a lost order request, venue forward or cancel). Lambda runs one
 * invocation per environment at a time; local mode's runtime does not (local/lambda-runtime.ts: one
 * worker serves overlapping invocations, and an SQS mapping has 5 batches in flight).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsBatchOptions {
  readonly context?: Context;
  /** Every record at once (each is independent) or one after the other (order matters). */
  readonly processInParallel: boolean;
}

/** Runs `recordHandler` on every record; the response lists the records it threw on. */
export function processSqsBatch(
  event: SQSEvent,
  recordHandler: (record: SQSRecord) => Promise<void>,
  options: SqsBatchOptions,
): Promise<SQSBatchResponse> {
  return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
    ...(options.context ? { context: options.context } : {}),
    processInParallel: options.processInParallel,
    // A batch whose every record failed is answered with all of them, not thrown: the same
    // redelivery, without an invocation error.
    throwOnFullBatchFailure: false,
  });
}
