/**
 * Local mode's topology comes from the synthesized CDK template, not from a second hand-kept list:
 * `synthesizeTemplate()` (local/synthesize.ts) synthesizes OmsStack in process (no bundling,
 * offline, a few seconds) and `readTopology()` reads tables, functions, event source mappings, queues, buses, rules, state
 * machines and HTTP APIs out of it, with every intrinsic resolved to local names and ARNs
 * (local/intrinsics.ts). Anything the template uses that local mode cannot model throws an
 * `UnsupportedTemplateError` naming the template path, rather than running something different.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CfnResource,
  type CfnTemplate,
  type IntrinsicOptions,
  type LocalArns,
  TemplateResolver,
  UnsupportedTemplateError,
} from './intrinsics.js';
import type {
  DeliveryStreamSpec,
  EventBusSpec,
  EventSourceMappingSpec,
  FunctionSpec,
  HttpApiSpec,
  IndexSpec,
  KeyAttribute,
  LocalTopology,
  QueueSpec,
  RouteSpec,
  RuleSpec,
  RuleTarget,
  StateMachineSpec,
  TableSpec,
  WebSocketApiSpec,
} from './types.js';

export { UnsupportedTemplateError } from './intrinsics.js';

/** The stack's id in the app (and its AWS::StackName). */
export const STACK_NAME = 'StockbotOms';

/** Metadata key with a function's repo-relative handler source (lib/lambda-defaults.ts). */
const ENTRY_METADATA = 'oms:entry';

const REPO_ROOT = join(__dirname, '..');

/** The `context` of cdk.json, so the in-process synth sees what `cdk synth` sees (feature flags). */
function cdkJsonContext(): Record<string, unknown> {
  const file = join(REPO_ROOT, 'cdk.json');
  if (!existsSync(file)) return {};
  const json = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return json.context ?? {};
}

/** The app context of the in-process synth: cdk.json's context, bundling off, then `context`. */
export function synthesisContext(context: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context };
}

/** Reads a synthesized template: a `.template.json` file, or a cloud assembly dir (cdk.out). */
export function loadTemplate(path: string): Record<string, unknown> {
  const file = statSync(path).isDirectory() ? join(path, `${STACK_NAME}.template.json`) : path;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('Resources' in parsed)) {
    throw new UnsupportedTemplateError('Not a CloudFormation template (no Resources)', file);
  }
  return parsed as Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: template properties are read structurally.
type Props = Record<string, any>;

/** Reads the local topology from a synthesized template, intrinsics resolved to local names/ARNs. */
export function readTopology(
  template: Record<string, unknown>,
  options: IntrinsicOptions = {},
): LocalTopology {
  return new TopologyReader(template as CfnTemplate, { stackName: STACK_NAME, ...options }).read();
}

class TopologyReader {
  private readonly r: TemplateResolver;
  private readonly resources: [string, CfnResource][];

  constructor(template: CfnTemplate, options: IntrinsicOptions) {
    this.r = new TemplateResolver(template, options);
    this.resources = Object.entries(template.Resources ?? {});
    for (const [id, res] of this.resources) {
      if (res.Condition !== undefined) {
        throw new UnsupportedTemplateError('Conditions are not supported', `Resources.${id}.Condition`);
      }
    }
  }

  read(): LocalTopology {
    const tables = this.ofType('AWS::DynamoDB::Table').map(([id, p]) => this.table(id, p));
    const functions = this.ofType('AWS::Lambda::Function')
      .filter(([id]) => this.entryOf(id) !== null)
      .map(([id, p]) => this.fn(id, p));
    const queues = this.ofType('AWS::SQS::Queue').map(([id, p]) => this.queue(id, p));
    const eventBuses = this.ofType('AWS::Events::EventBus').map(([id]) => this.bus(id));
    const stateMachines = this.ofType('AWS::StepFunctions::StateMachine').map(([id, p]) =>
      this.stateMachine(id, p),
    );
    const refs = new Refs(this.r.arns, tables, functions, queues, stateMachines);
    const deliveryStreams = this.ofType('AWS::KinesisFirehose::DeliveryStream').map(([id, p]) =>
      this.deliveryStream(id, p, refs),
    );
    for (const s of deliveryStreams) refs.deliveryStreamByArn.set(s.arn, s.logicalId);
    const eventSourceMappings = this.ofType('AWS::Lambda::EventSourceMapping')
      .filter(([, p]) => p.Enabled !== false)
      .map(([id, p]) => this.mapping(id, p, refs));
    const rules = this.ofType('AWS::Events::Rule').map(([id, p]) => this.rule(id, p, refs));
    const httpApis = this.ofType('AWS::ApiGatewayV2::Api')
      .filter(([, p]) => p.ProtocolType === 'HTTP')
      .map(([id]) => this.httpApi(id, refs));
    const webSocketApis = this.ofType('AWS::ApiGatewayV2::Api')
      .filter(([, p]) => p.ProtocolType === 'WEBSOCKET')
      .map(([id, p]) => this.webSocketApi(id, p, refs));
    return {
      tables,
      functions,
      eventSourceMappings,
      queues,
      eventBuses,
      rules,
      deliveryStreams,
      stateMachines,
      httpApis,
      webSocketApis,
    };
  }

  private ofType(type: string): [string, Props][] {
    return this.resources
      .filter(([, res]) => res.Type === type)
      .map(([id, res]) => [id, (res.Properties ?? {}) as Props]);
  }

  private path(id: string, ...props: string[]): string {
    return ['Resources', id, 'Properties', ...props].join('.');
  }

  private entryOf(id: string): string | null {
    const entry = this.r.resource(id, `Resources.${id}`).Metadata?.[ENTRY_METADATA];
    return typeof entry === 'string' && entry !== '' ? entry : null;
  }

  private num(v: unknown, fallback: number, path: string): number {
    if (v === undefined) return fallback;
    const n = Number(this.r.resolve(v, path));
    if (!Number.isFinite(n)) throw new UnsupportedTemplateError(`Expected a number, got ${String(v)}`, path);
    return n;
  }

  // ---- DynamoDB -------------------------------------------------------------------------------

  private table(id: string, p: Props): TableSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    const types = new Map<string, KeyAttribute['type']>();
    for (const [i, d] of (
      (this.r.resolve(p.AttributeDefinitions ?? [], at('AttributeDefinitions')) ?? []) as Props[]
    ).entries()) {
      const t = d.AttributeType;
      if (t !== 'S' && t !== 'N' && t !== 'B') {
        throw new UnsupportedTemplateError(
          `Bad AttributeType ${String(t)}`,
          at(`AttributeDefinitions[${i}]`),
        );
      }
      types.set(String(d.AttributeName), t);
    }
    const keys = (schema: unknown, path: string): { pk: KeyAttribute; sk: KeyAttribute | null } => {
      const list = this.r.resolve(schema, path) as Props[];
      const attr = (kind: string): KeyAttribute | null => {
        const k = list.find((x) => x.KeyType === kind);
        if (!k) return null;
        const type = types.get(String(k.AttributeName));
        if (!type)
          throw new UnsupportedTemplateError(`Key ${k.AttributeName} has no AttributeDefinition`, path);
        return { name: String(k.AttributeName), type };
      };
      const pk = attr('HASH');
      if (!pk) throw new UnsupportedTemplateError('KeySchema has no HASH key', path);
      return { pk, sk: attr('RANGE') };
    };
    const main = keys(p.KeySchema, at('KeySchema'));
    const gsis = (
      this.r.resolve(p.GlobalSecondaryIndexes ?? [], at('GlobalSecondaryIndexes')) as Props[]
    ).map((g, i): IndexSpec => {
      const k = keys(g.KeySchema, at(`GlobalSecondaryIndexes[${i}]`, 'KeySchema'));
      const projection = (g.Projection?.ProjectionType ?? 'ALL') as IndexSpec['projection'];
      return {
        name: String(g.IndexName),
        partitionKey: k.pk,
        sortKey: k.sk,
        projection,
        nonKeyAttributes: ((g.Projection?.NonKeyAttributes ?? []) as unknown[]).map(String),
      };
    });
    if (p.LocalSecondaryIndexes !== undefined) {
      throw new UnsupportedTemplateError(
        'LocalSecondaryIndexes are not modelled',
        at('LocalSecondaryIndexes'),
      );
    }
    const stream = p.StreamSpecification
      ? (this.r.resolve(p.StreamSpecification, at('StreamSpecification')) as Props)
      : null;
    const ttl = p.TimeToLiveSpecification
      ? (this.r.resolve(p.TimeToLiveSpecification, at('TimeToLiveSpecification')) as Props)
      : null;
    const tableName = this.r.physicalName(id);
    return {
      logicalId: id,
      tableName,
      arn: this.r.arns.table(tableName),
      partitionKey: main.pk,
      sortKey: main.sk,
      globalSecondaryIndexes: gsis,
      streamViewType: stream ? (stream.StreamViewType as TableSpec['streamViewType']) : null,
      ttlAttribute: ttl && ttl.Enabled !== false && ttl.AttributeName ? String(ttl.AttributeName) : null,
    };
  }

  // ---- Lambda ---------------------------------------------------------------------------------

  private fn(id: string, p: Props): FunctionSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    const vars = (this.r.resolve(p.Environment?.Variables ?? {}, at('Environment', 'Variables')) ??
      {}) as Props;
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) {
      environment[k] = this.r.resolveString(v, at('Environment', 'Variables', k));
    }
    const handler = typeof p.Handler === 'string' ? p.Handler : 'index.handler';
    const functionName = this.r.physicalName(id);
    return {
      logicalId: id,
      functionName,
      arn: this.r.arns.lambda(functionName),
      entry: this.entryOf(id) as string,
      handlerExport: handler.slice(handler.lastIndexOf('.') + 1),
      environment,
      timeoutSeconds: this.num(p.Timeout, 3, at('Timeout')),
      memoryMb: this.num(p.MemorySize, 128, at('MemorySize')),
    };
  }

  private mapping(id: string, p: Props, refs: Refs): EventSourceMappingSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    const functionLogicalId = refs.functionId(
      this.r.resolveString(p.FunctionName, at('FunctionName')),
      at('FunctionName'),
    );
    const sourceArn = this.r.resolveString(p.EventSourceArn, at('EventSourceArn'));
    const table = refs.tableByStreamArn.get(sourceArn);
    const queue = refs.queueByArn.get(sourceArn);
    let source: EventSourceMappingSpec['source'];
    if (table) source = { kind: 'dynamodb-stream', tableLogicalId: table };
    else if (queue) source = { kind: 'sqs', queueLogicalId: queue };
    else throw new UnsupportedTemplateError(`Unsupported event source ${sourceArn}`, at('EventSourceArn'));
    const isStream = source.kind === 'dynamodb-stream';
    const filters = (
      (this.r.resolve(p.FilterCriteria?.Filters ?? [], at('FilterCriteria', 'Filters')) ?? []) as Props[]
    ).map((f, i) => {
      const pattern = f.Pattern;
      try {
        return typeof pattern === 'string' ? (JSON.parse(pattern) as unknown) : pattern;
      } catch {
        throw new UnsupportedTemplateError('Filter pattern is not JSON', at(`FilterCriteria.Filters[${i}]`));
      }
    });
    const onFailure = p.DestinationConfig?.OnFailure?.Destination;
    let onFailureQueueLogicalId: string | null = null;
    if (onFailure !== undefined) {
      const path = at('DestinationConfig', 'OnFailure', 'Destination');
      const arn = this.r.resolveString(onFailure, path);
      onFailureQueueLogicalId = refs.queueByArn.get(arn) ?? null;
      if (!onFailureQueueLogicalId)
        throw new UnsupportedTemplateError(`On-failure destination ${arn} is not a queue`, path);
    }
    const responseTypes = (this.r.resolve(p.FunctionResponseTypes ?? [], at('FunctionResponseTypes')) ??
      []) as unknown[];
    const maxAge = this.num(p.MaximumRecordAgeInSeconds, -1, at('MaximumRecordAgeInSeconds'));
    const starting =
      p.StartingPosition === undefined
        ? null
        : this.r.resolveString(p.StartingPosition, at('StartingPosition'));
    if (starting !== null && starting !== 'TRIM_HORIZON' && starting !== 'LATEST') {
      throw new UnsupportedTemplateError(`Unsupported StartingPosition ${starting}`, at('StartingPosition'));
    }
    return {
      logicalId: id,
      functionLogicalId,
      source,
      batchSize: this.num(p.BatchSize, isStream ? 100 : 10, at('BatchSize')),
      maximumBatchingWindowSeconds: this.num(
        p.MaximumBatchingWindowInSeconds,
        0,
        at('MaximumBatchingWindowInSeconds'),
      ),
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
      bisectBatchOnFunctionError:
        this.r.resolve(p.BisectBatchOnFunctionError ?? false, at('BisectBatchOnFunctionError')) === true,
      maximumRetryAttempts: this.num(p.MaximumRetryAttempts, -1, at('MaximumRetryAttempts')),
      maximumRecordAgeSeconds: maxAge < 0 ? null : maxAge,
      filters,
      onFailureQueueLogicalId,
      startingPosition: starting,
    };
  }

  // ---- SQS ------------------------------------------------------------------------------------

  private queue(id: string, p: Props): QueueSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    const queueName = this.r.physicalName(id);
    let redrive: QueueSpec['redrive'] = null;
    if (p.RedrivePolicy !== undefined) {
      let policy = this.r.resolve(p.RedrivePolicy, at('RedrivePolicy')) as Props | string;
      if (typeof policy === 'string') policy = JSON.parse(policy) as Props;
      const dlqArn = this.r.resolveString(
        policy.deadLetterTargetArn,
        at('RedrivePolicy', 'deadLetterTargetArn'),
      );
      const dlq = this.ofType('AWS::SQS::Queue').find(
        ([qid]) => this.r.arns.queue(this.r.physicalName(qid)) === dlqArn,
      );
      if (!dlq)
        throw new UnsupportedTemplateError(
          `Dead-letter target ${dlqArn} is not a queue of the stack`,
          at('RedrivePolicy'),
        );
      redrive = { deadLetterQueueLogicalId: dlq[0], maxReceiveCount: Number(policy.maxReceiveCount) };
    }
    return {
      logicalId: id,
      queueName,
      arn: this.r.arns.queue(queueName),
      url: this.r.arns.queueUrl(queueName),
      visibilityTimeoutSeconds: this.num(p.VisibilityTimeout, 30, at('VisibilityTimeout')),
      messageRetentionSeconds: this.num(p.MessageRetentionPeriod, 345600, at('MessageRetentionPeriod')),
      redrive,
    };
  }

  // ---- EventBridge ----------------------------------------------------------------------------

  private bus(id: string): EventBusSpec {
    const name = this.r.physicalName(id);
    return { logicalId: id, name, arn: this.r.arns.eventBus(name) };
  }

  private rule(id: string, p: Props, refs: Refs): RuleSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    const eventBusName = this.r.ruleBusName(this.r.resource(id, at()), at());
    let eventPattern: unknown = null;
    if (p.EventPattern !== undefined) {
      eventPattern = this.r.resolve(p.EventPattern, at('EventPattern'));
      if (typeof eventPattern === 'string') eventPattern = JSON.parse(eventPattern) as unknown;
    }
    const targets = ((p.Targets ?? []) as Props[]).map((t, i): RuleTarget => {
      const tp = (...k: string[]) => at(`Targets[${i}]`, ...k);
      const targetId = this.r.resolveString(t.Id, tp('Id'));
      const arn = this.r.resolveString(t.Arn, tp('Arn'));
      const fn = arn.startsWith('arn:aws:lambda:') ? refs.functionId(arn, tp('Arn')) : undefined;
      if (fn) return { kind: 'lambda', id: targetId, functionLogicalId: fn };
      const queue = refs.queueByArn.get(arn);
      if (queue) {
        let dlq: string | null = null;
        if (t.DeadLetterConfig?.Arn !== undefined) {
          const dlqArn = this.r.resolveString(t.DeadLetterConfig.Arn, tp('DeadLetterConfig', 'Arn'));
          dlq = refs.queueByArn.get(dlqArn) ?? null;
          if (!dlq)
            throw new UnsupportedTemplateError(
              `Dead-letter ${dlqArn} is not a queue`,
              tp('DeadLetterConfig'),
            );
        }
        return { kind: 'sqs', id: targetId, queueLogicalId: queue, deadLetterQueueLogicalId: dlq };
      }
      const sm = refs.stateMachineByArn.get(arn);
      if (sm) return { kind: 'state-machine', id: targetId, stateMachineLogicalId: sm };
      const stream = refs.deliveryStreamByArn.get(arn);
      if (stream) return { kind: 'firehose', id: targetId, deliveryStreamLogicalId: stream };
      return { kind: 'recorder', id: targetId, arn };
    });
    const state = p.State === undefined ? 'ENABLED' : this.r.resolveString(p.State, at('State'));
    return {
      logicalId: id,
      name: this.r.physicalName(id),
      eventBusName,
      eventPattern,
      scheduleExpression:
        p.ScheduleExpression === undefined
          ? null
          : this.r.resolveString(p.ScheduleExpression, at('ScheduleExpression')),
      enabled: state === 'ENABLED',
      targets,
    };
  }

  // ---- Firehose -------------------------------------------------------------------------------

  private deliveryStream(id: string, p: Props, refs: Refs): DeliveryStreamSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    const d = p.ExtendedS3DestinationConfiguration as Props | undefined;
    if (d === undefined)
      throw new UnsupportedTemplateError(
        'Only S3 destinations are modelled',
        at('ExtendedS3DestinationConfiguration'),
      );
    const dp = (...k: string[]) => at('ExtendedS3DestinationConfiguration', ...k);
    const bucketArn = this.r.resolveString(d.BucketARN, dp('BucketARN'));
    const bucket = this.ofType('AWS::S3::Bucket').find(
      ([bid]) => this.r.arns.bucket(this.r.physicalName(bid)) === bucketArn,
    );
    if (!bucket)
      throw new UnsupportedTemplateError(`Bucket ${bucketArn} is not a bucket of the stack`, dp('BucketARN'));
    let processor: string | null = null;
    const processing = d.ProcessingConfiguration as Props | undefined;
    if (processing !== undefined && processing.Enabled !== false) {
      for (const [i, proc] of ((processing.Processors ?? []) as Props[]).entries()) {
        const pp = dp('ProcessingConfiguration', `Processors[${i}]`);
        if (proc.Type !== 'Lambda')
          throw new UnsupportedTemplateError(`Unsupported processor type ${String(proc.Type)}`, pp);
        const param = ((proc.Parameters ?? []) as Props[]).find((x) => x.ParameterName === 'LambdaArn');
        if (!param) throw new UnsupportedTemplateError('Lambda processor without LambdaArn', pp);
        processor = refs.functionId(this.r.resolveString(param.ParameterValue, pp), pp);
      }
    }
    let parquetColumns: DeliveryStreamSpec['parquetColumns'] = null;
    const conversion = d.DataFormatConversionConfiguration as Props | undefined;
    if (conversion !== undefined && conversion.Enabled !== false) {
      const cp = dp('DataFormatConversionConfiguration');
      if (conversion.OutputFormatConfiguration?.Serializer?.ParquetSerDe === undefined)
        throw new UnsupportedTemplateError('Only Parquet output is modelled', cp);
      const tableRef = this.r.resolveString(conversion.SchemaConfiguration?.TableName, cp);
      const glue = this.ofType('AWS::Glue::Table').find(
        ([tid, tp]) => tid === tableRef || tp.TableInput?.Name === tableRef,
      );
      if (!glue) throw new UnsupportedTemplateError(`Glue table ${tableRef} is not in the stack`, cp);
      const columns = this.r.resolve(
        glue[1].TableInput?.StorageDescriptor?.Columns ?? [],
        this.path(glue[0], 'TableInput', 'StorageDescriptor', 'Columns'),
      ) as Props[];
      parquetColumns = columns.map((c) => ({ name: String(c.Name), type: String(c.Type) }));
    }
    const name = this.r.physicalName(id);
    return {
      logicalId: id,
      name,
      arn: this.r.arns.firehose(name),
      bucketLogicalId: bucket[0],
      prefix: d.Prefix === undefined ? '' : this.r.resolveString(d.Prefix, dp('Prefix')),
      errorOutputPrefix:
        d.ErrorOutputPrefix === undefined
          ? ''
          : this.r.resolveString(d.ErrorOutputPrefix, dp('ErrorOutputPrefix')),
      processorFunctionLogicalId: processor,
      parquetColumns,
    };
  }

  // ---- Step Functions -------------------------------------------------------------------------

  private stateMachine(id: string, p: Props): StateMachineSpec {
    const at = (...k: string[]) => this.path(id, ...k);
    let text: string;
    if (p.DefinitionString !== undefined)
      text = this.r.resolveString(p.DefinitionString, at('DefinitionString'));
    else if (p.Definition !== undefined)
      text = JSON.stringify(this.r.resolve(p.Definition, at('Definition')));
    else throw new UnsupportedTemplateError('State machine without Definition/DefinitionString', at());
    const subs = (this.r.resolve(p.DefinitionSubstitutions ?? {}, at('DefinitionSubstitutions')) ??
      {}) as Props;
    text = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
      if (!Object.hasOwn(subs, key)) {
        throw new UnsupportedTemplateError(
          `Definition placeholder ${whole} has no substitution`,
          at('DefinitionSubstitutions'),
        );
      }
      return this.r.resolveString(subs[key], at('DefinitionSubstitutions', key));
    });
    let definition: Record<string, unknown>;
    try {
      definition = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new UnsupportedTemplateError(
        `Definition is not JSON: ${(e as Error).message}`,
        at('DefinitionString'),
      );
    }
    const name = this.r.physicalName(id);
    const type =
      p.StateMachineType === undefined
        ? 'STANDARD'
        : this.r.resolveString(p.StateMachineType, at('StateMachineType'));
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw new UnsupportedTemplateError(`Unsupported StateMachineType ${type}`, at('StateMachineType'));
    }
    return { logicalId: id, name, arn: this.r.arns.stateMachine(name), type, definition };
  }

  // ---- API Gateway (HTTP and WebSocket APIs share resources, integrations and route targets) ---

  /** The API's resources of a type, its Lambda integrations, and a route target's function. */
  private apiParts(apiId: string, refs: Refs) {
    const apiRef = this.r.ref(apiId, `Resources.${apiId}`);
    const ofApi = (type: string) =>
      this.ofType(type).filter(([id, p]) => this.r.resolve(p.ApiId, this.path(id, 'ApiId')) === apiRef);
    const integrationFn = new Map<string, string>();
    for (const [id, p] of ofApi('AWS::ApiGatewayV2::Integration')) {
      const uri = this.r.resolveString(p.IntegrationUri, this.path(id, 'IntegrationUri'));
      integrationFn.set(
        this.r.ref(id, id) as string,
        refs.functionId(lambdaArnOf(uri), this.path(id, 'IntegrationUri')),
      );
    }
    /** The function a route's `Target` (`integrations/<id>`) invokes; throws for anything else. */
    const targetFunction = (routeId: string, p: Props): string => {
      const at = this.path(routeId, 'Target');
      const target = this.r.resolveString(p.Target, at);
      const integration = /^integrations\/(.+)$/.exec(target)?.[1];
      const fn = integration === undefined ? undefined : integrationFn.get(integration);
      if (!fn) throw new UnsupportedTemplateError(`Route target ${target} is not a Lambda integration`, at);
      return fn;
    };
    return { ofApi, targetFunction };
  }

  // ---- API Gateway WebSocket API ----------------------------------------------------------------

  private webSocketApi(apiId: string, p: Props, refs: Refs): WebSocketApiSpec {
    const { ofApi, targetFunction } = this.apiParts(apiId, refs);
    const routes = ofApi('AWS::ApiGatewayV2::Route').map(([id, q]) => {
      const at = (...k: string[]) => this.path(id, ...k);
      const fn = targetFunction(id, q);
      if (q.AuthorizationType !== undefined && q.AuthorizationType !== 'NONE')
        throw new UnsupportedTemplateError(
          `Unsupported AuthorizationType ${String(q.AuthorizationType)} on a WebSocket route`,
          at('AuthorizationType'),
        );
      return { routeKey: this.r.resolveString(q.RouteKey, at('RouteKey')), functionLogicalId: fn };
    });
    const stages = ofApi('AWS::ApiGatewayV2::Stage').map(([id, q]) =>
      this.r.resolveString(q.StageName, this.path(id, 'StageName')),
    );
    return {
      logicalId: apiId,
      routeSelectionExpression:
        p.RouteSelectionExpression === undefined
          ? '$request.body.action'
          : this.r.resolveString(p.RouteSelectionExpression, this.path(apiId, 'RouteSelectionExpression')),
      routes,
      stages,
    };
  }

  // ---- API Gateway HTTP API -------------------------------------------------------------------

  private httpApi(apiId: string, refs: Refs): HttpApiSpec {
    const { ofApi, targetFunction } = this.apiParts(apiId, refs);
    const authorizerFn = new Map<string, string>();
    let authorizer: HttpApiSpec['authorizer'] = null;
    for (const [id, p] of ofApi('AWS::ApiGatewayV2::Authorizer')) {
      const at = (...k: string[]) => this.path(id, ...k);
      if (p.AuthorizerType !== 'REQUEST') {
        throw new UnsupportedTemplateError(
          `Unsupported authorizer type ${String(p.AuthorizerType)}`,
          at('AuthorizerType'),
        );
      }
      if (authorizer)
        throw new UnsupportedTemplateError('Only one authorizer per HTTP API is modelled', at());
      const uri = this.r.resolveString(p.AuthorizerUri, at('AuthorizerUri'));
      const fnId = refs.functionId(lambdaArnOf(uri), at('AuthorizerUri'));
      const version = p.AuthorizerPayloadFormatVersion ?? '2.0';
      if (version !== '2.0') {
        throw new UnsupportedTemplateError(
          `Unsupported authorizer payload ${String(version)}`,
          at('AuthorizerPayloadFormatVersion'),
        );
      }
      const sources = this.r.resolve(p.IdentitySource ?? [], at('IdentitySource'));
      authorizerFn.set(this.r.ref(id, id) as string, fnId);
      authorizer = {
        functionLogicalId: fnId,
        identitySources: (Array.isArray(sources) ? sources : String(sources).split(',')).map((s) =>
          String(s).trim(),
        ),
        resultTtlSeconds: this.num(p.AuthorizerResultTtlInSeconds, 0, at('AuthorizerResultTtlInSeconds')),
        enableSimpleResponses: p.EnableSimpleResponses === true,
      };
    }
    const routes = ofApi('AWS::ApiGatewayV2::Route').map(([id, p]): RouteSpec => {
      const at = (...k: string[]) => this.path(id, ...k);
      const fn = targetFunction(id, p);
      let authFn: string | null = null;
      if (p.AuthorizationType === 'CUSTOM') {
        const authRef = this.r.resolveString(p.AuthorizerId, at('AuthorizerId'));
        authFn = authorizerFn.get(authRef) ?? null;
        if (!authFn) throw new UnsupportedTemplateError(`Unknown authorizer ${authRef}`, at('AuthorizerId'));
      } else if (p.AuthorizationType !== undefined && p.AuthorizationType !== 'NONE') {
        throw new UnsupportedTemplateError(
          `Unsupported AuthorizationType ${String(p.AuthorizationType)}`,
          at('AuthorizationType'),
        );
      }
      return {
        routeKey: this.r.resolveString(p.RouteKey, at('RouteKey')),
        functionLogicalId: fn,
        authorizerFunctionLogicalId: authFn,
      };
    });
    return { logicalId: apiId, routes, authorizer };
  }
}

/** The function ARN in a Lambda ARN or an API Gateway invocation URI (`.../functions/<arn>/invocations`). */
function lambdaArnOf(uri: string): string {
  const m = /:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(uri);
  return m ? (m[1] as string) : uri;
}

/** Lookups from resolved names/ARNs back to logical ids. */
class Refs {
  readonly functionByArn = new Map<string, string>();
  readonly functionByName = new Map<string, string>();
  readonly queueByArn = new Map<string, string>();
  readonly tableByStreamArn = new Map<string, string>();
  readonly stateMachineByArn = new Map<string, string>();
  readonly deliveryStreamByArn = new Map<string, string>();

  constructor(
    arns: LocalArns,
    tables: readonly TableSpec[],
    functions: readonly FunctionSpec[],
    queues: readonly QueueSpec[],
    stateMachines: readonly StateMachineSpec[],
  ) {
    for (const t of tables)
      if (t.streamViewType) this.tableByStreamArn.set(arns.tableStream(t.arn), t.logicalId);
    for (const f of functions) {
      this.functionByArn.set(f.arn, f.logicalId);
      this.functionByName.set(f.functionName, f.logicalId);
    }
    for (const q of queues) this.queueByArn.set(q.arn, q.logicalId);
    for (const s of stateMachines) this.stateMachineByArn.set(s.arn, s.logicalId);
  }

  /** A function's logical id from its name or ARN (only functions with `oms:entry` metadata). */
  functionId(nameOrArn: string, path: string): string {
    const id = this.functionByArn.get(nameOrArn) ?? this.functionByName.get(nameOrArn);
    if (!id) {
      throw new UnsupportedTemplateError(
        `Function ${nameOrArn} is not a local function (no '${ENTRY_METADATA}' metadata?)`,
        path,
      );
    }
    return id;
  }
}
