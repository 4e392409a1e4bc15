/**
 * SQS's JSON protocol (awsJson1_0, `X-Amz-Target: AmazonSQS.<Action>`) over local mode's
 * LocalQueues, for the handlers' SDK v3 SQSClient (`AWS_ENDPOINT_URL_SQS`): what the exceptions
 * view and DLQ redrive use, and SendMessage for tests.
 *
 * Actions: GetQueueUrl, GetQueueAttributes, SendMessage, ReceiveMessage, DeleteMessage,
 * ChangeMessageVisibility, StartMessageMoveTask, ListMessageMoveTasks. Others answer
 * `UnsupportedOperation`.
 *
 * Queue URLs: GetQueueUrl answers `<endpoint>/<account>/<queue name>` (the SDK sends a request to
 * its QueueUrl's host), and any URL is resolved by its last path segment, the queue name; so the
 * template's `http://sqs.local/...` URLs work too. Errors carry SQS's names
 * (`QueueDoesNotExist`, `ResourceNotFoundException`, `UnsupportedOperation`, `InvalidParameterValue`).
 */
import type { SQSMessageAttribute } from 'aws-lambda';
import type { AwsJsonService } from './aws-endpoint.js';
import { LocalServiceError } from './errors.js';
import type { LocalQueues, MessageMoveTask } from './sqs.js';
import { LOCAL_ACCOUNT_ID } from './types.js';

export interface LocalSqsApiOptions {
  /** The endpoint's base URL (`http://127.0.0.1:<port>`): queue URLs point at it. */
  readonly endpointUrl: string;
}

type Input = Record<string, unknown>;

function str(input: Input, name: string, required = true): string | undefined {
  const v = input[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '')
    throw new LocalServiceError('InvalidParameterValue', `${name} must be a non-empty string`);
  return v;
}

function int(input: Input, name: string, min: number, max: number): number | undefined {
  const v = input[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new LocalServiceError('InvalidParameterValue', `${name} must be an integer ${min}..${max}`);
  return v;
}

function names(input: Input, ...keys: string[]): Set<string> {
  const out = new Set<string>();
  for (const key of keys) {
    const v = input[key];
    if (Array.isArray(v)) for (const n of v) if (typeof n === 'string') out.add(n);
  }
  return out;
}

function taskOut(t: MessageMoveTask): Record<string, unknown> {
  return {
    TaskHandle: t.taskHandle,
    Status: t.status,
    SourceArn: t.sourceArn,
    ...(t.destinationArn === null ? {} : { DestinationArn: t.destinationArn }),
    ApproximateNumberOfMessagesMoved: t.approximateNumberOfMessagesMoved,
    ApproximateNumberOfMessagesToMove: t.approximateNumberOfMessagesToMove,
    ...(t.failureReason === null ? {} : { FailureReason: t.failureReason }),
    StartedTimestamp: t.startedTimestamp,
  };
}

export class LocalSqsApi implements AwsJsonService {
  constructor(
    private readonly queues: LocalQueues,
    private readonly options: LocalSqsApiOptions,
  ) {}

  /** The queue a QueueUrl (any host), name or ARN names. */
  private ref(input: Input, field = 'QueueUrl'): string {
    const raw = str(input, field) as string;
    const candidates = [raw, raw.replace(/\/+$/, '').split('/').pop() ?? raw];
    for (const c of candidates) if (this.queues.resolve(c) !== undefined) return c;
    throw new LocalServiceError('QueueDoesNotExist', `The specified queue does not exist: ${raw}`);
  }

  private urlOf(queueName: string): string {
    return `${this.options.endpointUrl}/${LOCAL_ACCOUNT_ID}/${queueName}`;
  }

  async handle(action: string, input: Input): Promise<Record<string, unknown>> {
    switch (action) {
      case 'GetQueueUrl': {
        const name = str(input, 'QueueName') as string;
        const spec = this.queues.resolve(name);
        if (spec === undefined || spec.queueName !== name)
          throw new LocalServiceError('QueueDoesNotExist', `The specified queue does not exist: ${name}`);
        return { QueueUrl: this.urlOf(spec.queueName) };
      }
      case 'GetQueueAttributes': {
        const ref = this.ref(input);
        const wanted = names(input, 'AttributeNames');
        const { spec, visible, notVisible } = this.queues.attributes(ref);
        const sources = this.queues.sourcesOf(ref);
        const all: Record<string, string> = {
          QueueArn: spec.arn,
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(notVisible),
          ApproximateNumberOfMessagesDelayed: '0',
          VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(spec.messageRetentionSeconds),
          ...(spec.redrive === null
            ? {}
            : {
                RedrivePolicy: JSON.stringify({
                  deadLetterTargetArn: this.queues.resolve(spec.redrive.deadLetterQueueLogicalId)?.arn,
                  maxReceiveCount: spec.redrive.maxReceiveCount,
                }),
              }),
          ...(sources.length === 0
            ? {}
            : { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'allowAll' }) }),
        };
        const attributes = wanted.has('All')
          ? all
          : Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k)));
        return { Attributes: attributes };
      }
      case 'SendMessage': {
        const ref = this.ref(input);
        const body = str(input, 'MessageBody') as string;
        const delaySeconds = int(input, 'DelaySeconds', 0, 900);
        const raw = (input.MessageAttributes ?? {}) as Record<string, Record<string, unknown>>;
        const attributes: Record<string, SQSMessageAttribute> = {};
        for (const [name, a] of Object.entries(raw))
          attributes[name] = {
            dataType: String(a.DataType ?? 'String'),
            ...(typeof a.StringValue === 'string' ? { stringValue: a.StringValue } : {}),
            ...(typeof a.BinaryValue === 'string' ? { binaryValue: a.BinaryValue } : {}),
          } as SQSMessageAttribute;
        try {
          const sent = this.queues.send(
            ref,
            body,
            attributes,
            delaySeconds === undefined ? {} : { delaySeconds },
          );
          return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody };
        } catch (e) {
          throw new LocalServiceError('InvalidParameterValue', (e as Error).message);
        }
      }
      case 'ReceiveMessage': {
        const ref = this.ref(input);
        const max = int(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
        const visibility = int(input, 'VisibilityTimeout', 0, 43_200);
        const systemNames = names(input, 'MessageSystemAttributeNames', 'AttributeNames');
        const userNames = names(input, 'MessageAttributeNames');
        const got = this.queues.receive(ref, {
          maxNumberOfMessages: max,
          ...(visibility === undefined ? {} : { visibilityTimeoutSeconds: visibility }),
        });
        return {
          Messages: got.map((m) => {
            const attributes = Object.fromEntries(
              Object.entries(m.attributes).filter(
                ([k, v]) => v !== undefined && (systemNames.has('All') || systemNames.has(k)),
              ),
            );
            const userAll = userNames.has('All') || userNames.has('.*');
            const messageAttributes = Object.fromEntries(
              Object.entries(m.messageAttributes)
                .filter(([k]) => userAll || userNames.has(k))
                .map(([k, a]) => [
                  k,
                  {
                    DataType: a.dataType,
                    ...(a.stringValue === undefined ? {} : { StringValue: a.stringValue }),
                    ...(a.binaryValue === undefined ? {} : { BinaryValue: a.binaryValue }),
                  },
                ]),
            );
            const withAttributes = Object.keys(messageAttributes).length > 0;
            return {
              MessageId: m.messageId,
              ReceiptHandle: m.receiptHandle,
              MD5OfBody: m.md5OfBody,
              Body: m.body,
              ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
              ...(withAttributes && m.md5OfMessageAttributes !== null
                ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: m.md5OfMessageAttributes }
                : {}),
            };
          }),
        };
      }
      case 'DeleteMessage': {
        // SQS answers success for a handle that is no longer current (the message stays).
        this.queues.deleteMessage(this.ref(input), str(input, 'ReceiptHandle') as string);
        return {};
      }
      case 'ChangeMessageVisibility': {
        const timeout = int(input, 'VisibilityTimeout', 0, 43_200);
        if (timeout === undefined)
          throw new LocalServiceError('InvalidParameterValue', 'VisibilityTimeout is required');
        try {
          this.queues.changeMessageVisibility(
            this.ref(input),
            str(input, 'ReceiptHandle') as string,
            timeout,
          );
        } catch (e) {
          throw new LocalServiceError('ReceiptHandleIsInvalid', (e as Error).message);
        }
        return {};
      }
      case 'StartMessageMoveTask': {
        const source = str(input, 'SourceArn') as string;
        const destination = str(input, 'DestinationArn', false);
        try {
          return { TaskHandle: this.queues.startMessageMoveTask(source, destination).taskHandle };
        } catch (e) {
          const err = e as Error;
          throw new LocalServiceError(err.name === 'Error' ? 'InvalidParameterValue' : err.name, err.message);
        }
      }
      case 'ListMessageMoveTasks': {
        const source = str(input, 'SourceArn') as string;
        const max = int(input, 'MaxResults', 1, 10) ?? 1;
        try {
          return { Results: this.queues.listMessageMoveTasks(source).slice(0, max).map(taskOut) };
        } catch (e) {
          const err = e as Error;
          throw new LocalServiceError(err.name, err.message);
        }
      }
      default:
        throw new LocalServiceError(
          'UnsupportedOperation',
          `AmazonSQS.${action} is not supported by local mode`,
        );
    }
  }
}
