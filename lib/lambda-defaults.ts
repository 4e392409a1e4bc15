/**
 * The ONE place for Lambda defaults. Every OMS function is built by `omsFunction`, so runtime,
 * architecture, bundling, tracing, logging and the role shape are the same everywhere.
 *
 * Decisions:
 * - Runtime nodejs24.x on arm64 (Graviton: cheaper per GB-s, same code).
 * - Bundling (lib/bundling.json, shared with scripts/bundle-report.mjs): CJS output (the package is
 *   CommonJS, and CJS needs no `require` shim for dependencies that still call it), minified, with
 *   source maps without sources content (stack traces map back, the zip stays small), target node24.
 *   `externalModules: []` + `bundleAwsSDK`: the SDK v3 clients are bundled, so the code runs the
 *   client versions it was tested with and only the commands used ship (tree shaking), instead of
 *   whatever SDK the managed runtime carries that day (nodejs24.x ships an SDK v3, but not ours:
 *   its version moves with the runtime, so `@aws-sdk/*` stays bundled).
 *   `mainFields: module, main`: packages without an `exports` map (the AWS SDK) resolve to their ESM
 *   build (dist-es), which esbuild tree-shakes; their CJS build (esbuild's default on node) is one
 *   file per package and ships whole (about 210 KB more per bundle).
 *   `alias`: the SDK's default credential chain is replaced by its first link, `fromEnv` (see
 *   lambdas/platform/lambda-credentials.ts: Lambda always provides env credentials; the other
 *   links and their STS/SSO clients, about 135 KB per bundle, could never run there), and
 *   `@smithy/core/event-streams` by lambdas/platform/no-event-streams.ts (about 19 KB per bundle:
 *   the SDK loads it only for event-stream operations, which the OMS never calls; the stand-in
 *   fails with a clear error if one ever is), and `@aws-sdk/signature-v4-multi-region` (the
 *   EventBridge and S3 clients' signer) by lambdas/platform/sigv4-one-region.ts (about 2.6 KB per
 *   such bundle: the same SigV4 signing; SigV4a, for the signing region `*` only, which the OMS
 *   never uses nor installs, fails with the SDK's own message), and
 *   `@aws-sdk/middleware-endpoint-discovery` by lambdas/platform/no-endpoint-discovery.ts (about
 *   2 KB per bundle with a DynamoDB client: the same settings without the endpoint cache, which no
 *   DynamoDB command of this SDK reads).
 *   Budget (issue 12): each bundle <= 400 KB and its import <= 150 ms on Node 24;
 *   `npm run bundle:report` prints both.
 * - Tracing: X-Ray active tracing on every function (the invocation's segment; the SDK passes its
 *   trace header on), without an X-Ray SDK in the bundle (lambdas/platform/observability.ts).
 * - Each function gets its own role (no AWS managed policy): it may write only its own log group
 *   (explicit LogGroup, one month retention, JSON log format) plus X-Ray segments; everything else is
 *   granted per table/bus/state machine by `useTable` and the grant methods, which also set the
 *   environment variable named in `lambdas/platform/config.ts`, so grants and env cannot drift.
 */
import { type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  type ParamsAndSecretsLayerVersion,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import bundling from './bundling.json';

export const METRICS_NAMESPACE = 'StockbotOms';
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/** Repository root: lib/.. */
const projectRoot = `${__dirname}/..`;

/**
 * esbuild options equivalent to what NodejsFunction runs (for the bundle report). Alias targets are
 * repo-relative in lib/bundling.json (NodejsFunction runs esbuild in the project root); absolute here.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: bundling.platform as 'node',
  target: bundling.target,
  format: bundling.format as 'cjs' | 'esm',
  minify: bundling.minify,
  sourcemap: bundling.sourceMap,
  sourcesContent: bundling.sourcesContent,
  external: bundling.externalModules,
  mainFields: bundling.mainFields,
  alias: Object.fromEntries(
    Object.entries(bundling.alias).map(([from, to]) => [from, `${projectRoot}/${to}`]),
  ) as Record<string, string>,
} as const;

/** esbuild CLI arguments for what NodejsFunction has no option for (lib/bundling.json `alias`). */
const ESBUILD_ARGS = {
  '--alias': Object.entries(bundling.alias).map(([from, to]) => `${from}=${to}`),
};

/** NODE_OPTIONS of every function (source-mapped stack traces); the bundle report imports with them. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

export interface OmsFunctionProps {
  /** Entry file relative to the repository root (see lib/handlers.ts). */
  readonly entry: string;
  readonly description: string;
  /** Default 30 s. */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /**
   * The AWS Parameters and Secrets Lambda Extension (its layer and its settings' env), for a
   * function that reads a Secrets Manager secret (lib/broker-gateway.ts: the Alpaca venues' key
   * pairs). CDK can add it only when the function is built. Default: none.
   */
  readonly paramsAndSecrets?: ParamsAndSecretsLayerVersion;
}

export function omsFunction(scope: Construct, id: string, props: OmsFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `${id}: own log group, X-Ray, and the grants of its capability`,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    entry: `${projectRoot}/${props.entry}`,
    handler: 'handler',
    projectRoot,
    depsLockFilePath: `${projectRoot}/package-lock.json`,
    description: props.description,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: 512,
    timeout: props.timeout ?? Duration.seconds(30),
    tracing: Tracing.ACTIVE,
    role,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    applicationLogLevelV2: ApplicationLogLevel.INFO,
    systemLogLevelV2: SystemLogLevel.WARN,
    ...(props.paramsAndSecrets === undefined ? {} : { paramsAndSecrets: props.paramsAndSecrets }),
    environment: {
      POWERTOOLS_SERVICE_NAME: `oms-${kebab(id)}`,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      ...props.environment,
    },
    bundling: {
      target: bundling.target,
      format: bundling.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
      minify: bundling.minify,
      sourceMap: bundling.sourceMap,
      sourcesContent: bundling.sourcesContent,
      externalModules: [...bundling.externalModules],
      mainFields: [...bundling.mainFields],
      esbuildArgs: ESBUILD_ARGS,
      bundleAwsSDK: true,
    },
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Active tracing: xray:PutTraceSegments/PutTelemetryRecords support no resource-level permissions. ' +
      'Stream consumers also get dynamodb:ListStreams, which has no resource either (test/infra asserts ' +
      'that no other action is granted on "*").',
  });
  // Local mode runs the handler's source, not the bundle: the template says which file it is.
  (fn.node.defaultChild as CfnResource).addMetadata(HANDLER_ENTRY_METADATA, props.entry);
  return fn;
}

/** CloudFormation metadata key on every function: its handler's repo-relative source file. */
export const HANDLER_ENTRY_METADATA = 'oms:entry';

export type TableAccess = 'read' | 'write' | 'readWrite';

/** Grants `fn` the access it needs to `table` and tells it the table's name in `envName`. */
export function useTable(fn: NodejsFunction, table: ITable, envName: string, access: TableAccess): void {
  fn.addEnvironment(envName, table.tableName);
  if (access === 'read') table.grantReadData(fn);
  else if (access === 'write') table.grantWriteData(fn);
  else table.grantReadWriteData(fn);
  const stack = Stack.of(fn);
  // CDK grants `<table>/index/*` with any data grant on a table that has indexes (queries by GSI).
  if (hasIndexes(table)) {
    const cfnTable = table.node.defaultChild;
    if (cfnTable) {
      const logicalId = stack.getLogicalId(cfnTable as never);
      Validations.of(fn.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
        reason:
          "Queries run on the table's global secondary indexes (list filters); the grant is limited to its indexes.",
      });
    }
  }
}

/** True when the table has secondary indexes (CDK then also grants `<table>/index/*`). */
function hasIndexes(table: ITable): boolean {
  return (table as unknown as { hasIndex?: boolean }).hasIndex === true;
}

/** An SQS queue that is encrypted and refuses non-TLS requests (dead-letter queues, consumer stand-ins). */
export function secureQueue(scope: Construct, id: string, props: { deadLetterQueue?: Queue } = {}): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    ...(props.deadLetterQueue
      ? { deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: 5 } }
      : {}),
  });
}

/** Acknowledges AwsSolutions-SQS3 on a queue that is itself a dead-letter queue of a Lambda/rule target. */
export function acknowledgeDeadLetterQueue(queue: Queue, of: string): void {
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue IS the dead-letter queue (${of}); it is drained by operators (alarm on depth), not by a consumer.`,
  });
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
