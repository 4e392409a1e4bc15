/**
 * Algorithmic orders: the plugin registry and the built-in algorithms (TWAP, VWAP, ICEBERG).
 *
 * A registry is an immutable value: `builtInAlgorithms` holds the built-ins and
 * `builtInAlgorithms.with(plugin)` is a registry with one more. Lambda code is bundled, so the
 * registry an environment uses is decided at build time (add a plugin to `BUILT_INS` below, see
 * README "Adding an algorithm"); tests build their own.
 *
 * `planFor` and `decideFor` are how callers run an algorithm: they look it up by name and check
 * what it returns against the contract (`checkPlan`, `checkDecision`), so a custom plugin cannot
 * break the parent's instructions.
 */
import { iceberg } from './iceberg.js';
import {
  type AlgoParams,
  type AlgoPlan,
  type AlgoPlugin,
  checkDecision,
  checkPlan,
  type Decision,
  type DecisionInput,
} from './plugin.js';
import { twap } from './twap.js';
import { vwap } from './vwap.js';

export * from './params.js';
export * from './plugin.js';
export * from './schedule.js';
export { profileVolume } from './vwap.js';
export { iceberg, twap, vwap };

const NAME = /^[A-Z][A-Z0-9_]{0,31}$/;

export interface AlgoRegistry {
  /** The plugin registered under `name` (exact, upper-case), if any. */
  get(name: string): AlgoPlugin | undefined;
  names(): readonly string[];
  /** A registry with `plugin` added; throws if the name is taken or malformed. */
  with(plugin: AlgoPlugin): AlgoRegistry;
}

export function createAlgoRegistry(plugins: readonly AlgoPlugin[]): AlgoRegistry {
  const byName = new Map<string, AlgoPlugin>();
  for (const p of plugins) {
    if (!NAME.test(p.name))
      throw new RangeError(`algorithm name must be upper-case letters, digits or _, got "${p.name}"`);
    if (byName.has(p.name)) throw new RangeError(`algorithm ${p.name} is already registered`);
    byName.set(p.name, p);
  }
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()].sort(),
    with: (plugin) => createAlgoRegistry([...byName.values(), plugin]),
  };
}

const BUILT_INS: readonly AlgoPlugin[] = [twap, vwap, iceberg];

export const builtInAlgorithms: AlgoRegistry = createAlgoRegistry(BUILT_INS);

function pluginFor(registry: AlgoRegistry, name: string): AlgoPlugin {
  const plugin = registry.get(name);
  if (plugin === undefined) throw new RangeError(`no algorithm named ${name} is registered`);
  return plugin;
}

/** The checked plan of `params.algorithm`. */
export function planFor(registry: AlgoRegistry, params: AlgoParams): AlgoPlan {
  return checkPlan(params, pluginFor(registry, params.algorithm).plan(params));
}

/** The checked decision of `input.params.algorithm`. */
export function decideFor(registry: AlgoRegistry, input: DecisionInput): Decision {
  return checkDecision(input, pluginFor(registry, input.params.algorithm).decide(input));
}
