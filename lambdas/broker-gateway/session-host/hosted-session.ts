/**
 * The venue session host runs a list of configured sessions: long-lived connections to venues and
 * brokers that a Lambda function cannot hold (a FIX session's TCP connection, a broker's
 * trade-updates stream). Each kind registers a factory here; the host (host.ts) builds one session
 * per configured entry and starts them all. On AWS the host is the VenueSessions ECS service
 * (lib/venue-sessions.ts); in local mode a child process of local mode (docs/venues.md).
 */

/** What the host needs from its environment, shared by every session kind. */
export interface HostContext {
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}

export interface HostedSession {
  /** The venue (or broker) name, as `venueFor(name)` knows it. */
  readonly name: string;
  /** Connects and starts working (returns once started, not once connected). */
  start(): Promise<void>;
  /** Stops cleanly (logs out, flushes what it persists). */
  stop(): Promise<void>;
}

/** One configured session: `kind` picks the factory; the rest is the kind's own settings. */
export interface SessionConfig {
  readonly kind: string;
  readonly name: string;
  readonly [setting: string]: unknown;
}

export type SessionFactory = (config: SessionConfig, context: HostContext) => HostedSession;

const factories = new Map<string, SessionFactory>();

/** Registers a session kind (`fix`; another adapter registers its own). */
export function registerSessionKind(kind: string, factory: SessionFactory): void {
  factories.set(kind, factory);
}

export function sessionKinds(): string[] {
  return [...factories.keys()].sort();
}

export function buildSession(config: SessionConfig, context: HostContext): HostedSession {
  const factory = factories.get(config.kind);
  if (factory === undefined)
    throw new Error(
      `venue session ${config.name}: unknown kind ${config.kind} (known: ${sessionKinds().join(', ')})`,
    );
  return factory(config, context);
}
