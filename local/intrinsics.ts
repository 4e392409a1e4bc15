/**
 * CloudFormation intrinsic functions, resolved the way local mode names things: every resource gets
 * a local physical name (its name property when the template sets it as a plain string, else its
 * logical id) and local ARNs built with LOCAL_REGION / LOCAL_ACCOUNT_ID. `Ref` and `Fn::GetAtt`
 * return what CloudFormation returns for the resource type (a table's name, a queue's URL, a state
 * machine's ARN ...). Supported: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split,
 * Fn::Base64, Fn::FindInMap and the pseudo parameters; anything else throws
 * `UnsupportedTemplateError` naming where in the template it is.
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './types.js';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
}

export interface IntrinsicOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** Value of AWS::StackName (default `StockbotOms`). */
  readonly stackName?: string;
  /** Template parameter values; parameters not given take their Default. */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** The template uses something local mode cannot resolve; the message names the template path. */
export class UnsupportedTemplateError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${message} (at ${path})`);
    this.name = 'UnsupportedTemplateError';
  }
}

/** Local ARNs and URLs (same shapes as AWS, local account and region). */
export function localArns(region = LOCAL_REGION, accountId = LOCAL_ACCOUNT_ID) {
  return {
    table: (name: string) => `arn:aws:dynamodb:${region}:${accountId}:table/${name}`,
    tableStream: (tableArn: string) => `${tableArn}/stream/local`,
    lambda: (name: string) => `arn:aws:lambda:${region}:${accountId}:function:${name}`,
    queue: (name: string) => `arn:aws:sqs:${region}:${accountId}:${name}`,
    queueUrl: (name: string) => `http://sqs.local/${accountId}/${name}`,
    stateMachine: (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`,
    eventBus: (name: string) => `arn:aws:events:${region}:${accountId}:event-bus/${name}`,
    rule: (name: string, busName: string | null) =>
      `arn:aws:events:${region}:${accountId}:rule/${busName && busName !== 'default' ? `${busName}/` : ''}${name}`,
    firehose: (name: string) => `arn:aws:firehose:${region}:${accountId}:deliverystream/${name}`,
    snsTopic: (name: string) => `arn:aws:sns:${region}:${accountId}:${name}`,
    logGroup: (name: string) => `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`,
    role: (name: string) => `arn:aws:iam::${accountId}:role/${name}`,
    bucket: (name: string) => `arn:aws:s3:::${name}`,
    kmsKey: (id: string) => `arn:aws:kms:${region}:${accountId}:key/${id}`,
    schemaRegistry: (name: string) => `arn:aws:schemas:${region}:${accountId}:registry/${name}`,
  };
}

export type LocalArns = ReturnType<typeof localArns>;

/** The property holding a resource's physical name, per type (only a plain string counts). */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::EventSchemas::Registry': 'RegistryName',
};

/** Returned by `Ref: AWS::NoValue`: the enclosing property or list item disappears. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The intrinsic's key when `v` is an intrinsic call (`{Ref: ...}` or `{"Fn::X": ...}`), else null. */
export function intrinsicKey(v: unknown): string | null {
  if (!isRecord(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1) return null;
  const k = keys[0] as string;
  return k === 'Ref' || k.startsWith('Fn::') ? k : null;
}

export class TemplateResolver {
  readonly arns: LocalArns;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  private readonly resources: Record<string, CfnResource>;

  constructor(
    private readonly template: CfnTemplate,
    private readonly options: IntrinsicOptions = {},
  ) {
    this.region = options.region ?? LOCAL_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.stackName = options.stackName ?? 'StockbotOms';
    this.arns = localArns(this.region, this.accountId);
    this.resources = template.Resources ?? {};
  }

  resource(logicalId: string, path: string): CfnResource {
    const r = this.resources[logicalId];
    if (!r) throw new UnsupportedTemplateError(`No resource '${logicalId}' in the template`, path);
    return r;
  }

  /** Local physical name: the type's name property if it is a plain string, else the logical id. */
  physicalName(logicalId: string): string {
    const r = this.resources[logicalId];
    const prop = r ? NAME_PROPERTY[r.Type] : undefined;
    const v = prop ? r?.Properties?.[prop] : undefined;
    return typeof v === 'string' && v !== '' ? v : logicalId;
  }

  /** Deeply resolves every intrinsic in `value`; `path` names the location for error messages. */
  resolve(value: unknown, path: string): unknown {
    const r = this.resolveInner(value, path);
    if (r === NO_VALUE) throw new UnsupportedTemplateError('AWS::NoValue where a value is required', path);
    return r;
  }

  /** Resolves and requires a string (numbers and booleans are stringified like CloudFormation). */
  resolveString(value: unknown, path: string): string {
    const r = this.resolve(value, path);
    if (typeof r === 'string') return r;
    if (typeof r === 'number' || typeof r === 'boolean') return String(r);
    throw new UnsupportedTemplateError(`Expected a string, got ${JSON.stringify(r)}`, path);
  }

  private resolveInner(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value.map((v, i) => this.resolveInner(v, `${path}[${i}]`)).filter((v) => v !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const key = intrinsicKey(value);
    if (key) return this.call(key, value[key], `${path}.${key}`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = this.resolveInner(v, `${path}.${k}`);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private call(fn: string, arg: unknown, path: string): unknown {
    switch (fn) {
      case 'Ref':
        if (typeof arg !== 'string') throw new UnsupportedTemplateError('Ref takes a logical id', path);
        return this.ref(arg, path);
      case 'Fn::GetAtt':
        return this.getAttCall(arg, path);
      case 'Fn::Join':
        return this.join(arg, path);
      case 'Fn::Sub':
        return this.sub(arg, path);
      case 'Fn::Select':
        return this.select(arg, path);
      case 'Fn::Split':
        return this.split(arg, path);
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(arg, path), 'utf8').toString('base64');
      case 'Fn::FindInMap':
        return this.findInMap(arg, path);
      default:
        throw new UnsupportedTemplateError(`Unsupported intrinsic ${fn}`, path);
    }
  }

  /** What `Ref` returns: pseudo parameters, parameters, or the resource's CloudFormation Ref value. */
  ref(name: string, path: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.region}:${this.accountId}:stack/${this.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    if (name.startsWith('AWS::'))
      throw new UnsupportedTemplateError(`Unsupported pseudo parameter ${name}`, path);
    const param = this.template.Parameters?.[name];
    if (param) {
      const given = this.options.parameters?.[name];
      if (given !== undefined) return given;
      if (param.Default !== undefined) return param.Default;
      throw new UnsupportedTemplateError(`Parameter ${name} has no value and no Default`, path);
    }
    const r = this.resource(name, path);
    const n = this.physicalName(name);
    switch (r.Type) {
      case 'AWS::SQS::Queue':
        return this.arns.queueUrl(n);
      case 'AWS::StepFunctions::StateMachine':
        return this.arns.stateMachine(n);
      case 'AWS::SNS::Topic':
        return this.arns.snsTopic(n);
      case 'AWS::Events::Rule': {
        const bus = this.ruleBusName(r, path);
        return bus && bus !== 'default' ? `${bus}|${n}` : n;
      }
      default:
        // Tables, functions, buses, log groups, roles, buckets, API Gateway ids ...: the name/id.
        return n;
    }
  }

  /** What `Fn::GetAtt` returns for the attributes local mode models. */
  getAtt(logicalId: string, attribute: string, path: string): unknown {
    const r = this.resource(logicalId, path);
    const n = this.physicalName(logicalId);
    const a = this.arns;
    const attrs: Record<string, Record<string, () => unknown>> = {
      'AWS::DynamoDB::Table': {
        Arn: () => a.table(n),
        StreamArn: () => this.tableStreamArn(logicalId, path),
      },
      'AWS::Lambda::Function': { Arn: () => a.lambda(n) },
      'AWS::SQS::Queue': { Arn: () => a.queue(n), QueueName: () => n, QueueUrl: () => a.queueUrl(n) },
      'AWS::Events::EventBus': { Arn: () => a.eventBus(n), Name: () => n },
      'AWS::Events::Rule': { Arn: () => a.rule(n, this.ruleBusName(r, path)) },
      'AWS::StepFunctions::StateMachine': { Arn: () => a.stateMachine(n), Name: () => n },
      'AWS::KinesisFirehose::DeliveryStream': { Arn: () => a.firehose(n) },
      'AWS::SNS::Topic': { TopicArn: () => a.snsTopic(n), TopicName: () => n },
      'AWS::Logs::LogGroup': { Arn: () => a.logGroup(n) },
      'AWS::IAM::Role': { Arn: () => a.role(n), RoleId: () => n },
      'AWS::S3::Bucket': { Arn: () => a.bucket(n) },
      'AWS::KMS::Key': { Arn: () => a.kmsKey(n), KeyId: () => n },
      'AWS::EventSchemas::Registry': { RegistryArn: () => a.schemaRegistry(n), RegistryName: () => n },
    };
    const get = attrs[r.Type]?.[attribute];
    if (!get) throw new UnsupportedTemplateError(`Unsupported Fn::GetAtt ${r.Type}.${attribute}`, path);
    return get();
  }

  private tableStreamArn(logicalId: string, path: string): string {
    const r = this.resource(logicalId, path);
    if (!isRecord(r.Properties?.StreamSpecification)) {
      throw new UnsupportedTemplateError(`Table ${logicalId} has no stream (StreamArn)`, path);
    }
    return this.arns.tableStream(this.arns.table(this.physicalName(logicalId)));
  }

  /** A rule's bus name (null for the default bus), from its EventBusName (name or ARN). */
  ruleBusName(rule: CfnResource, path: string): string | null {
    const v = rule.Properties?.EventBusName;
    if (v === undefined) return null;
    const name = this.resolveString(v, `${path}.EventBusName`);
    const m = /:event-bus\/(.+)$/.exec(name);
    const bus = m ? (m[1] as string) : name;
    return bus === 'default' ? null : bus;
  }

  private getAttCall(arg: unknown, path: string): unknown {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof arg === 'string') {
      const dot = arg.indexOf('.');
      if (dot < 0) throw new UnsupportedTemplateError('Fn::GetAtt "Logical.Attr" needs an attribute', path);
      logicalId = arg.slice(0, dot);
      attribute = arg.slice(dot + 1);
    } else if (Array.isArray(arg) && arg.length === 2) {
      [logicalId, attribute] = arg;
      attribute = this.resolve(attribute, `${path}[1]`);
    }
    if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
      throw new UnsupportedTemplateError('Fn::GetAtt takes [logicalId, attribute]', path);
    }
    return this.getAtt(logicalId, attribute, path);
  }

  private join(arg: unknown, path: string): string {
    if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
      throw new UnsupportedTemplateError('Fn::Join takes [delimiter, list]', path);
    }
    const list = this.resolve(arg[1], `${path}[1]`);
    if (!Array.isArray(list)) throw new UnsupportedTemplateError('Fn::Join needs a list', path);
    return list.map((v, i) => this.scalar(v, `${path}[1][${i}]`)).join(arg[0]);
  }

  private scalar(v: unknown, path: string): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new UnsupportedTemplateError(`Expected a string, got ${JSON.stringify(v)}`, path);
  }

  private sub(arg: unknown, path: string): string {
    let text: unknown = arg;
    let vars: Record<string, unknown> = {};
    if (Array.isArray(arg)) {
      if (arg.length !== 2 || !isRecord(arg[1])) {
        throw new UnsupportedTemplateError('Fn::Sub takes a string or [string, variables]', path);
      }
      text = arg[0];
      vars = arg[1];
    }
    if (typeof text !== 'string') throw new UnsupportedTemplateError('Fn::Sub needs a string', path);
    return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (Object.hasOwn(vars, name)) return this.resolveString(vars[name], `${path}[1].${name}`);
      if (name.startsWith('AWS::')) return this.scalar(this.ref(name, path), path);
      const dot = name.indexOf('.');
      if (dot > 0) return this.scalar(this.getAtt(name.slice(0, dot), name.slice(dot + 1), path), path);
      if (name === '') throw new UnsupportedTemplateError(`Fn::Sub: empty variable ${whole}`, path);
      return this.scalar(this.ref(name, path), path);
    });
  }

  private select(arg: unknown, path: string): unknown {
    if (!Array.isArray(arg) || arg.length !== 2) {
      throw new UnsupportedTemplateError('Fn::Select takes [index, list]', path);
    }
    const index = Number(this.resolve(arg[0], `${path}[0]`));
    const list = this.resolve(arg[1], `${path}[1]`);
    if (!Array.isArray(list)) throw new UnsupportedTemplateError('Fn::Select needs a list', path);
    if (!Number.isInteger(index) || index < 0 || index >= list.length) {
      throw new UnsupportedTemplateError(`Fn::Select index ${String(arg[0])} out of range`, path);
    }
    return list[index];
  }

  private split(arg: unknown, path: string): string[] {
    if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || arg[0] === '') {
      throw new UnsupportedTemplateError('Fn::Split takes [delimiter, string]', path);
    }
    return this.resolveString(arg[1], `${path}[1]`).split(arg[0]);
  }

  private findInMap(arg: unknown, path: string): unknown {
    if (!Array.isArray(arg) || arg.length !== 3) {
      throw new UnsupportedTemplateError('Fn::FindInMap takes [map, topKey, secondKey]', path);
    }
    const [map, top, second] = arg.map((v, i) => this.resolveString(v, `${path}[${i}]`)) as [
      string,
      string,
      string,
    ];
    const v = this.template.Mappings?.[map]?.[top]?.[second];
    if (v === undefined)
      throw new UnsupportedTemplateError(`Fn::FindInMap: no ${map}.${top}.${second}`, path);
    return v;
  }
}
