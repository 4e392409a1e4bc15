/**
 * What the Lambda bundles carry in place of `@aws-sdk/middleware-endpoint-discovery`
 * (lib/bundling.json `alias`, bundles only: tests and local mode run the SDK as published). The
 * DynamoDB client resolves its endpoint discovery settings when it is created, and the published
 * module then builds an endpoint cache (`@aws-sdk/endpoint-cache` on mnemonist's LRU cache: about
 * 2 KB of every bundle with a DynamoDB client, after an earlier stand-in for mnemonist). No
 * DynamoDB command of the SDK version the OMS bundles adds the discovery middleware, so that cache
 * is never read nor filled; the OMS leaves discovery off (the SDK's default) and calls the regional
 * endpoint. This stand-in resolves the same settings (the same environment variables and shared
 * config key, the same refusal of an empty value) without the cache.
 * test/platform/no-endpoint-discovery.test.ts checks it against the published module.
 */

const ENV_KEYS = ['AWS_ENABLE_ENDPOINT_DISCOVERY', 'AWS_ENDPOINT_DISCOVERY_ENABLED'] as const;
const CONFIG_KEY = 'endpoint_discovery_enabled';
const isFalsy = (value: string | undefined) => value === 'false' || value === '0';

/** As the SDK's: the node config loader's selectors of the setting. */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: (env: Record<string, string | undefined>): boolean | undefined => {
    for (const key of ENV_KEYS) {
      if (key in env) {
        const value = env[key];
        if (value === '')
          throw Error(`Environment variable ${key} can't be empty of undefined, got "${value}"`);
        return !isFalsy(value);
      }
    }
    return undefined;
  },
  configFileSelector: (profile: Record<string, string | undefined>): boolean | undefined => {
    if (CONFIG_KEY in profile) {
      const value = profile[CONFIG_KEY];
      if (value === undefined)
        throw Error(`Shared config entry ${CONFIG_KEY} can't be undefined, got "${value}"`);
      return !isFalsy(value);
    }
    return undefined;
  },
  default: undefined,
};

interface EndpointDiscoveryInput {
  endpointDiscoveryEnabled?: boolean;
  endpointDiscoveryEnabledProvider?: () => Promise<boolean | undefined>;
}

/** As the SDK's, without the endpoint cache nothing reads. */
export const resolveEndpointDiscoveryConfig = <T extends EndpointDiscoveryInput>(
  input: T,
  { endpointDiscoveryCommandCtor }: { endpointDiscoveryCommandCtor: unknown },
) => {
  const { endpointDiscoveryEnabled, endpointDiscoveryEnabledProvider } = input;
  return Object.assign(input, {
    endpointDiscoveryCommandCtor,
    endpointDiscoveryEnabled:
      endpointDiscoveryEnabled !== undefined
        ? () => Promise.resolve(endpointDiscoveryEnabled)
        : endpointDiscoveryEnabledProvider,
    isClientEndpointDiscoveryEnabled: endpointDiscoveryEnabled !== undefined,
  });
};
