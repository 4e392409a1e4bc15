/**
 * The exceptions view's alarm (issue 16): of a batch of the event store's stream, the new events
 * that open an exception for an operator (core `openExceptionsOf`: a quarantined execution, a
 * workflow exception, a reconciliation break left open). The order stream counts them
 * (`OperatorExceptionsRaised`, alarmed).
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';

/** The stream's new events that open an exception for an operator (core `openExceptionsOf`). */
export function operatorExceptionsIn(event: DynamoDBStreamEvent): number {
  let raised = 0;
  for (const r of event.Records) {
    if (r.eventName !== 'INSERT') continue;
    const image = r.dynamodb?.NewImage;
    const type = image?.type?.S;
    if (type === 'OrderExecutionQuarantined' || type === 'OrderExceptionRecorded') raised++;
    else if (type === 'OrderBreakFound' && image?.data?.M?.repair?.S === 'none') raised++;
  }
  return raised;
}
