/**
 * The exceptions view's alarm (issue 16: "each kind raises a CloudWatch alarm"): the order stream
 * counts the new events that open an exception for an operator (OperatorExceptionsRaised).
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { operatorExceptionsIn } from '../../lambdas/stream-consumers/operator-exceptions.js';

const record = (type: string, repair?: string, eventName: 'INSERT' | 'MODIFY' = 'INSERT') => ({
  eventName,
  dynamodb: {
    NewImage: {
      type: { S: type },
      ...(repair === undefined ? {} : { data: { M: { repair: { S: repair } } } }),
    },
  },
});

describe('operatorExceptionsIn', () => {
  // biome-ignore format: a table
  const cases: [string, ReturnType<typeof record>[], number][] = [
    ['an ordinary fill raises nothing',                  [record('OrderFilled')],                                  0],
    ['a quarantined execution',                          [record('OrderExecutionQuarantined')],                    1],
    ['a workflow exception',                             [record('OrderExceptionRecorded')],                       1],
    ['a break left open for an operator',                [record('OrderBreakFound', 'none')],                      1],
    ['a break repaired by its repair is not counted',    [record('OrderBreakFound', 'apply_fill')],                0],
    ['only new events count (a re-written item is not)', [record('OrderExceptionRecorded', undefined, 'MODIFY')],  0],
    ['a batch of several',                               [record('OrderExceptionRecorded'), record('OrderBreakFound', 'none'), record('OrderAccepted')], 2],
  ];
  it.each(cases)('%s', (_name, records, raised) => {
    expect(operatorExceptionsIn({ Records: records } as unknown as DynamoDBStreamEvent)).toBe(raised);
  });
});
