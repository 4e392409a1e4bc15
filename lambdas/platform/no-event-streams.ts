/**
 * What the Lambda bundles carry in place of `@smithy/core/event-streams` (lib/bundling.json
 * `alias`, bundles only: tests and local mode run the SDK as published). The SDK uses that module,
 * about 15 KB of every bundle, only for an operation whose input or output is an event stream (S3
 * SelectObjectContent, Lambda InvokeWithResponseStream, Kinesis SubscribeToShard, ...). The OMS
 * calls none: DynamoDB, Step Functions, EventBridge, SQS, S3 puts and gets, Secrets Manager and
 * the API Gateway Management API are plain request and response. A client that wires an event
 * stream marshaller when it is created (S3) gets one that is never used; should an event stream
 * ever be sent or read, it fails with this error rather than misbehave.
 */
export const NOT_BUNDLED =
  'AWS SDK event streams are not in this bundle (lib/bundling.json aliases @smithy/core/event-streams)';

const notBundled = (): never => {
  throw new Error(NOT_BUNDLED);
};

/** A client's event stream marshaller: created with the client, fails only when used. */
export interface EventStreamMarshaller {
  deserialize(body: unknown, deserializer: unknown): never;
  serialize(input: unknown, serializer: unknown): never;
}

export const eventStreamSerdeProvider = (_options?: unknown): EventStreamMarshaller => ({
  deserialize: notBundled,
  serialize: notBundled,
});

/** As the SDK's: the client's config gets its marshaller from its provider. */
export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: (i: T) => unknown }>(
  input: T,
): T & { eventStreamMarshaller: unknown } =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

/** What the HTTP protocol builds to send or read an event stream: fails when it would. */
export class EventStreamSerde {
  constructor(_options?: unknown) {
    notBundled();
  }
}
