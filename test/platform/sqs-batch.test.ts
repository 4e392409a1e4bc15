/**
 * SQS batches answered with their own failed records (lambdas/platform/sqs-batch.ts), also when
 * several are in flight in one process: local mode's runtime gives one worker overlapping
 * invocations, and an SQS mapping has 5 batches in flight. A Powertools BatchProcessor shared at
 * module scope answered a batch with another's state: its failed record read as processed and the
 * queue deleted it (exceptions.test.ts's malformed cancels, neither redelivered nor dead-lettered).
 */
import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { processSqsBatch } from '../../lambdas/platform/sqs-batch.js';
import { sourceFiles } from '../source-files.js';

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  body,
  receiptHandle: `rh-${messageId}`,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
  awsRegion: 'us-east-1',
});

interface Planned {
  readonly fails: boolean;
  readonly delayMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A record's body says whether its handler throws, and after how long. */
async function plannedHandler(r: SQSRecord): Promise<void> {
  const plan = JSON.parse(r.body) as Planned;
  await sleep(plan.delayMs);
  if (plan.fails) throw new Error(`record ${r.messageId} fails`);
}

const batches = fc.array(
  fc.record({
    startAfterMs: fc.integer({ min: 0, max: 10 }),
    parallel: fc.boolean(),
    records: fc.array(fc.record({ fails: fc.boolean(), delayMs: fc.integer({ min: 0, max: 15 }) }), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  { minLength: 2, maxLength: 5 },
);

describe('processSqsBatch', () => {
  it('answers each of several batches in flight at once with exactly its own failed records', async () => {
    await fc.assert(
      fc.asyncProperty(batches, async (planned) => {
        const runs = planned.map(async (batch, b) => {
          await sleep(batch.startAfterMs);
          const event: SQSEvent = {
            Records: batch.records.map((plan, i) => record(`b${b}-r${i}`, JSON.stringify(plan))),
          };
          return processSqsBatch(event, plannedHandler, { processInParallel: batch.parallel });
        });
        const responses = await Promise.all(runs);
        responses.forEach((response, b) => {
          const failed = (planned[b]?.records ?? []).flatMap((plan, i) =>
            plan.fails ? [`b${b}-r${i}`] : [],
          );
          expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(failed.sort());
        });
      }),
      { numRuns: 40 },
    );
  });

  it('one failing batch alone: every record listed, nothing thrown', async () => {
    const event: SQSEvent = { Records: [record('x', '{"fails":true,"delayMs":0}')] };
    await expect(processSqsBatch(event, plannedHandler, { processInParallel: false })).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'x' }],
    });
  });

  it('no handler keeps a BatchProcessor of its own (one shared at module scope mixes batches)', () => {
    const own = sourceFiles('lambdas').filter(
      (file) => !file.endsWith('sqs-batch.ts') && /new BatchProcessor\b/.test(readFileSync(file, 'utf8')),
    );
    expect(own).toEqual([]);
  });
});
