/**
 * The trade_updates stream's connections (issue 14): frames are posted to a WebSocket client and
 * a connection is closed through API Gateway's management API, at the stage's callback URL
 * (TRADE_STREAM_CALLBACK_URL; local mode resolves it to its own stand-in). The client is made on
 * first use: the order stream consumer only needs it when an account has listeners.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ENV, requiredEnv } from './config.js';

/** What the stream's senders need of a connection. */
export interface ConnectionPort {
  /** Sends one frame; throws `ConnectionGone` when the client is no longer connected. */
  post(connectionId: string, frame: string): Promise<void>;
  /** Closes the connection (a gone one is not an error). */
  close(connectionId: string): Promise<void>;
}

/** The client left (API Gateway answered 410 Gone). */
export class ConnectionGone extends Error {
  constructor(readonly connectionId: string) {
    super(`connection ${connectionId} is gone`);
    this.name = 'ConnectionGone';
  }
}

const isGone = (err: unknown): boolean =>
  (err as { name?: string }).name === 'GoneException' ||
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

export function managementApiConnections(
  endpoint: () => string = () => requiredEnv(ENV.tradeStreamCallbackUrl),
): ConnectionPort {
  let client: ApiGatewayManagementApiClient | undefined;
  const api = () => {
    client ??= new ApiGatewayManagementApiClient({ endpoint: endpoint() });
    return client;
  };
  return {
    async post(connectionId, frame) {
      try {
        await api().send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(frame, 'utf8') }),
        );
      } catch (err) {
        if (isGone(err)) throw new ConnectionGone(connectionId);
        throw err;
      }
    },
    async close(connectionId) {
      try {
        await api().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    },
  };
}
