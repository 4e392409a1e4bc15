/**
 * Local mode's model of the stack: what `topology.ts` reads from the synthesized CloudFormation
 * template, with every intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, pseudo parameters) resolved
 * to local names and ARNs. Every local emulator works from this model, so there is no second,
 * hand-kept list of tables, functions, routes or rules.
 */

/** Local account and region: ARNs and names are built with them. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute | null;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes: readonly string[];
}

export interface TableSpec {
  readonly logicalId: string;
  /** The local physical name (the template's TableName if set, else the logical id). */
  readonly tableName: string;
  readonly arn: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute | null;
  readonly globalSecondaryIndexes: readonly IndexSpec[];
  /** StreamViewType when the table has a stream. */
  readonly streamViewType: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY' | null;
  readonly ttlAttribute: string | null;
}

export interface FunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** Source entry of the handler (repo-relative .ts path), from the function's `oms:entry` metadata. */
  readonly entry: string;
  /** Exported handler name (always `handler` in this project). */
  readonly handlerExport: string;
  /** Environment with intrinsics resolved to local names/ARNs. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export type EventSource =
  | { readonly kind: 'dynamodb-stream'; readonly tableLogicalId: string }
  | { readonly kind: 'sqs'; readonly queueLogicalId: string };

export interface EventSourceMappingSpec {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly source: EventSource;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1 = retry until the record expires (Lambda's default for streams). */
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number | null;
  /** Filter patterns (EventBridge pattern syntax), already JSON-parsed. */
  readonly filters: readonly unknown[];
  /** Where a stream batch that exhausted its retries is reported (a queue's logical id). */
  readonly onFailureQueueLogicalId: string | null;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST' | null;
}

export interface QueueSpec {
  readonly logicalId: string;
  readonly queueName: string;
  readonly arn: string;
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly redrive: { readonly deadLetterQueueLogicalId: string; readonly maxReceiveCount: number } | null;
}

export type RuleTarget =
  | { readonly kind: 'lambda'; readonly id: string; readonly functionLogicalId: string }
  | {
      readonly kind: 'sqs';
      readonly id: string;
      readonly queueLogicalId: string;
      readonly deadLetterQueueLogicalId: string | null;
    }
  | { readonly kind: 'state-machine'; readonly id: string; readonly stateMachineLogicalId: string }
  /** A delivery stream of the stack (local/firehose.ts). */
  | { readonly kind: 'firehose'; readonly id: string; readonly deliveryStreamLogicalId: string }
  /** Anything local mode only records (CloudWatch Logs, SNS, a stream outside the stack ...). */
  | { readonly kind: 'recorder'; readonly id: string; readonly arn: string };

export interface RuleSpec {
  readonly logicalId: string;
  readonly name: string;
  /** Null for the default bus. */
  readonly eventBusName: string | null;
  readonly eventPattern: unknown | null;
  /** `rate(1 minute)` / `cron(...)` for scheduled rules. */
  readonly scheduleExpression: string | null;
  readonly enabled: boolean;
  readonly targets: readonly RuleTarget[];
}

/** A Glue table column (the record format conversion's schema). */
export interface GlueColumnSpec {
  readonly name: string;
  /** Hive type: string, bigint, double, boolean, timestamp, decimal(p,s), ... */
  readonly type: string;
}

/** A Firehose delivery stream with an (extended) S3 destination. */
export interface DeliveryStreamSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The destination bucket's logical id (local mode maps it to a directory). */
  readonly bucketLogicalId: string;
  /** Object key prefix, with `!{partitionKeyFromLambda:...}` / `!{timestamp:...}` expressions. */
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  /** The Lambda transformation, when the stream has one. */
  readonly processorFunctionLogicalId: string | null;
  /** Record format conversion to Parquet: the Glue table's columns; null writes records as they are. */
  readonly parquetColumns: readonly GlueColumnSpec[] | null;
}

export interface EventBusSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

export interface StateMachineSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The ASL definition with substitutions and intrinsics resolved (Lambda ARNs are local ARNs). */
  readonly definition: Record<string, unknown>;
}

export interface RouteSpec {
  /** e.g. `POST /v2/orders`, `GET /v2/orders/{order_id}`. */
  readonly routeKey: string;
  readonly functionLogicalId: string;
  readonly authorizerFunctionLogicalId: string | null;
}

export interface HttpApiSpec {
  readonly logicalId: string;
  readonly routes: readonly RouteSpec[];
  /** Authorizer settings (payload 2.0, simple responses). */
  readonly authorizer: {
    readonly functionLogicalId: string;
    readonly identitySources: readonly string[];
    readonly resultTtlSeconds: number;
    readonly enableSimpleResponses: boolean;
  } | null;
}

/** An API Gateway WebSocket API: routes selected by `routeSelectionExpression`, each to a function. */
export interface WebSocketApiSpec {
  readonly logicalId: string;
  /** e.g. `$request.body.action`. */
  readonly routeSelectionExpression: string;
  readonly routes: readonly { readonly routeKey: string; readonly functionLogicalId: string }[];
  /** Its stages' names (`live`). */
  readonly stages: readonly string[];
}

export interface LocalTopology {
  readonly tables: readonly TableSpec[];
  readonly functions: readonly FunctionSpec[];
  readonly eventSourceMappings: readonly EventSourceMappingSpec[];
  readonly queues: readonly QueueSpec[];
  readonly eventBuses: readonly EventBusSpec[];
  readonly rules: readonly RuleSpec[];
  readonly deliveryStreams: readonly DeliveryStreamSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  readonly httpApis: readonly HttpApiSpec[];
  readonly webSocketApis: readonly WebSocketApiSpec[];
}

/** What a function invocation produced, as Lambda reports it. */
export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown }
  | {
      readonly ok: false;
      /** Lambda's `errorType` (the thrown error's name; `Sandbox.Timedout` on a timeout). */
      readonly errorType: string;
      readonly errorMessage: string;
      readonly stackTrace?: readonly string[];
    };

/** Runs local functions by logical id, function name or ARN (the Lambda stand-in). */
export interface Invoker {
  invoke(functionRef: string, event: unknown): Promise<InvokeResult>;
}
