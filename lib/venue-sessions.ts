/**
 * The venue session host on AWS: the always-on process that holds the connections a Lambda
 * function cannot (a FIX session's TCP connection; a broker's trade-updates stream), in a
 * NestedStack "VenueSessions" of its own: the main stack is near CloudFormation's 500-resource
 * limit, and a nested stack counts as one resource there.
 *
 * One ECS Fargate service (one task: a FIX session must not be held twice; ECS replaces a failed
 * task, and the session store carries the sequence numbers over), in a VPC of two public subnets
 * with no NAT gateway (the task has a public IP for its outbound connections and accepts no
 * inbound: its security group has no ingress rule). The image is built from
 * docker/venue-sessions/Dockerfile (`ContainerImage.fromAsset`; synthesis only stages the files,
 * the build runs at deploy). The task reads and writes VENUE_ORDERS_TABLE (requests, mirror,
 * sequence numbers), writes the venues' health in the market table, and puts execution reports on
 * the bus.
 *
 * Which sessions run: `sessions` (the FIX venues of `oms:fixVenues`, and any other kind another
 * adapter registers, `oms:venueSessions`), passed as OMS_FIX_VENUES / OMS_VENUE_SESSIONS, and one
 * `alpaca` trade_updates listener per Alpaca venue of `oms:alpacaVenues` (`alpacaVenues`, passed as
 * OMS_ALPACA_VENUES: the host builds a session for every entry). Secrets a session needs come from
 * Secrets Manager as container secrets (`secrets`; an Alpaca venue's `keyId` and `secret` fields as
 * OMS_ALPACA_KEY_ID_<venue> / OMS_ALPACA_SECRET_<venue>), never as plain env: ECS reads them at the
 * task's start with the execution role, which alone may read them (the task role may not).
 */
import { join } from 'node:path';
import { Duration, Names, NestedStack, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FlowLogDestination, FlowLogTrafficType, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  Secret as EcsSecret,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  ALPACA_VENUES_ENV,
  type AlpacaVenuesContext,
  alpacaSecretEnvNames,
} from '../lambdas/platform/alpaca-venues.js';
import { ENV } from '../lambdas/platform/config.js';
import { alpacaVenueSecret } from './alpaca-secrets.js';

/** The Dockerfile's directory context: the repository (the host runs the TypeScript sources). */
const REPO_ROOT = join(__dirname, '..');
export const VENUE_SESSIONS_DOCKERFILE = 'docker/venue-sessions/Dockerfile';

export interface VenueSessionsProps {
  readonly venueOrders: ITable;
  /** The market table: the host marks a venue down there while its session is lost (the router skips it). */
  readonly market?: ITable;
  readonly bus: IEventBus;
  /** OMS_FIX_VENUES: the FIX venues (JSON array, lambdas/platform/fix-venues.ts). */
  readonly fixVenues: string;
  /** OMS_VENUE_SESSIONS: sessions of other kinds (JSON array of `{kind, name, ...}`). */
  readonly otherSessions?: string;
  /** The Alpaca venues (`oms:alpacaVenues`): their listeners, with each key pair from its secret. */
  readonly alpacaVenues?: AlpacaVenuesContext;
  /** Container secrets by env name (e.g. a broker's API keys from Secrets Manager). */
  readonly secrets?: Record<string, EcsSecret>;
}

/** The nested stack and what is in it. */
export class VenueSessions extends Construct {
  readonly stack: NestedStack;
  readonly vpc: Vpc;
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly service: FargateService;

  constructor(scope: Construct, id: string, props: VenueSessionsProps) {
    super(scope, id);
    this.stack = new NestedStack(this, 'VenueSessions', {
      description: 'OMS venue session host: FIX sessions and broker streams on ECS Fargate',
    });
    const s = this.stack;

    const flowLogs = new LogGroup(s, 'FlowLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc = new Vpc(s, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: {
        all: {
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
    this.cluster = new Cluster(s, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    const logs = new LogGroup(s, 'HostLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new FargateTaskDefinition(s, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    // Each Alpaca venue's key pair: the two JSON fields of its secret, as two container secrets.
    const alpaca = props.alpacaVenues;
    const secrets: Record<string, EcsSecret> = { ...props.secrets };
    for (const venue of alpaca?.venues ?? []) {
      const secret = alpacaVenueSecret(s, venue);
      const env = alpacaSecretEnvNames(venue.name);
      secrets[env.keyId] = EcsSecret.fromSecretsManager(secret, 'keyId');
      secrets[env.secret] = EcsSecret.fromSecretsManager(secret, 'secret');
    }
    this.taskDefinition.addContainer('Host', {
      image: ContainerImage.fromAsset(REPO_ROOT, {
        file: VENUE_SESSIONS_DOCKERFILE,
        platform: Platform.LINUX_ARM64,
        // Only what the image copies: the image's hash (and a redeploy) follows those files alone.
        exclude: ['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!lambdas', '!docker'],
      }),
      logging: LogDrivers.awsLogs({ streamPrefix: 'venue-sessions', logGroup: logs }),
      environment: {
        [ENV.venueOrdersTable]: props.venueOrders.tableName,
        [ENV.eventBusName]: props.bus.eventBusName,
        ...(props.market === undefined ? {} : { [ENV.marketTable]: props.market.tableName }),
        OMS_FIX_VENUES: props.fixVenues,
        ...(props.otherSessions === undefined ? {} : { OMS_VENUE_SESSIONS: props.otherSessions }),
        ...(alpaca === undefined || alpaca.env === '' ? {} : { [ALPACA_VENUES_ENV]: alpaca.env }),
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...(Object.keys(secrets).length === 0 ? {} : { secrets }),
      stopTimeout: Duration.seconds(30),
    });
    props.venueOrders.grantReadWriteData(this.taskDefinition.taskRole);
    props.market?.grantWriteData(this.taskDefinition.taskRole);
    props.bus.grantPutEventsTo(this.taskDefinition.taskRole);

    const group = new SecurityGroup(s, 'HostSecurityGroup', {
      vpc: this.vpc,
      description: 'Venue session host: outbound connections to venues and AWS APIs only, no ingress',
      allowAllOutbound: true,
    });
    this.service = new FargateService(s, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      // Never two hosts at once: a FIX session logged on twice is refused by the venue, and two
      // would race on the sequence numbers. ECS stops the old task before it starts the new one.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      assignPublicIp: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [group],
      circuitBreaker: { rollback: true },
    });

    // CDK grants `<table>/index/*` with a data grant on a table with indexes; in the nested stack the
    // table's ARN is the parameter `referenceto<unique id of the table resource>Arn`.
    const tableNode = props.venueOrders.node.defaultChild;
    if (tableNode !== undefined) {
      Validations.of(this.taskDefinition.taskRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<referenceto${Names.uniqueId(tableNode)}Arn>/index/*]`,
        reason:
          'The host queries the byFixQueue index of the venue orders table; the grant is limited to its indexes.',
      });
    }
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role pulls the image from ECR: ecr:GetAuthorizationToken supports no resource-level permission.',
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        "The environment holds table and bus names, the FIX venues' host/port/CompIDs and the Alpaca venues' URLs and secret names/ARNs, no secret value; the key pairs go in as container secrets from Secrets Manager.",
    });
  }
}
