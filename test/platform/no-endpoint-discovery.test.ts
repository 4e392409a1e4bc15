/**
 * The bundles' stand-in for `@aws-sdk/middleware-endpoint-discovery` (lib/bundling.json alias)
 * against the published module: the same setting from any environment and shared config (the same
 * refusals), and the same resolved client settings, without the endpoint cache no command reads.
 */
import * as published from '@aws-sdk/middleware-endpoint-discovery';
import fc from 'fast-check';
import * as standIn from '../../lambdas/platform/no-endpoint-discovery.js';

const answer = (f: () => unknown) => {
  try {
    return { value: f() };
  } catch (err) {
    return { error: (err as Error).message };
  }
};

const value = fc.constantFrom(undefined, '', 'true', 'false', '0', '1', 'yes');
const env = fc.record(
  { AWS_ENABLE_ENDPOINT_DISCOVERY: value, AWS_ENDPOINT_DISCOVERY_ENABLED: value, OTHER: value },
  { requiredKeys: [] },
);
const profile = fc.record({ endpoint_discovery_enabled: value, region: value }, { requiredKeys: [] });

test('reads the setting from the environment and the shared config as the published module does', () => {
  fc.assert(
    fc.property(env, profile, (e, p) => {
      const a = published.NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS;
      const b = standIn.NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS;
      expect(answer(() => b.environmentVariableSelector(e))).toEqual(
        answer(() => a.environmentVariableSelector(e as NodeJS.ProcessEnv)),
      );
      expect(answer(() => b.configFileSelector(p))).toEqual(answer(() => a.configFileSelector(p)));
      expect(b.default).toEqual(a.default);
    }),
  );
});

test.each([
  ['not set, the provider answers undefined', {}],
  ['not set, the provider answers true', { endpointDiscoveryEnabledProvider: async () => true }],
  ['set false', { endpointDiscoveryEnabled: false }],
  ['set true', { endpointDiscoveryEnabled: true }],
])('resolves the client settings as the published module does: %s', async (_t, given) => {
  class DescribeEndpoints {}
  const input = { endpointDiscoveryEnabledProvider: async () => undefined, ...given };
  const ours = standIn.resolveEndpointDiscoveryConfig(
    { ...input },
    { endpointDiscoveryCommandCtor: DescribeEndpoints },
  );
  const theirs = published.resolveEndpointDiscoveryConfig({ ...input } as never, {
    endpointDiscoveryCommandCtor: DescribeEndpoints as never,
  }) as unknown as typeof ours;
  expect(ours.endpointDiscoveryCommandCtor).toBe(theirs.endpointDiscoveryCommandCtor);
  expect(ours.isClientEndpointDiscoveryEnabled).toBe(theirs.isClientEndpointDiscoveryEnabled);
  expect(await ours.endpointDiscoveryEnabled?.()).toEqual(await theirs.endpointDiscoveryEnabled?.());
  // The only difference: no endpoint cache.
  expect(Object.keys(theirs).filter((k) => !(k in ours))).toEqual(['endpointCache']);
});
