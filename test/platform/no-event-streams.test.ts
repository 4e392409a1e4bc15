/**
 * The bundles' stand-in for `@smithy/core/event-streams` (lib/bundling.json alias): a client that
 * wires an event-stream marshaller when it is created (S3) still works; sending or reading an event
 * stream fails with a clear error instead of misbehaving.
 */
import {
  EventStreamSerde,
  eventStreamSerdeProvider,
  NOT_BUNDLED,
  resolveEventStreamSerdeConfig,
} from '../../lambdas/platform/no-event-streams.js';

test('a client config resolves its marshaller without failing', () => {
  const config = resolveEventStreamSerdeConfig({ eventStreamSerdeProvider, region: 'us-east-1' });
  expect(config.region).toBe('us-east-1');
  expect(config.eventStreamMarshaller).toBeDefined();
});

test.each([
  ['serializing an event stream', () => eventStreamSerdeProvider().serialize({}, {})],
  ['deserializing an event stream', () => eventStreamSerdeProvider().deserialize({}, {})],
  ['the protocol building its event-stream serde', () => new EventStreamSerde({})],
])('%s fails, naming why', (_name, use) => {
  expect(use).toThrow(NOT_BUNDLED);
});
