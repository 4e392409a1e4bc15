/**
 * The Data Warehouse (issue 15, docs/warehouse.md): order events -> Parquet in S3, partitioned by
 * trading date, described in the Glue Data Catalog so Athena queries three tables: `orders`,
 * `executions`, `tca`.
 *
 *   bus rule per table (source stockbot.oms, the table's detail-types; retries + dead-letter queue)
 *     -> Firehose delivery stream per table (Direct PUT, server-side encrypted)
 *        -> Lambda transformation (lambdas/data-warehouse/transform-records.ts: core
 *           `warehouseRowOf`, the mapping local mode runs too) returns the row as JSON and the
 *           partition key `date` (dynamic partitioning, `!{partitionKeyFromLambda:date}`)
 *        -> record format conversion JSON -> Parquet (Hive JSON deserializer, the Glue table's
 *           columns, Snappy)
 *        -> s3://<bucket>/<table>/date=YYYY-MM-DD/<object>.parquet
 *   Glue database `stockbot_oms_warehouse`, tables with partition projection on `date` (no crawler,
 *   no MSCK REPAIR), and an Athena workgroup whose results are encrypted.
 *
 * Decisions (docs/warehouse.md "Why this shape"):
 * - One stream per table: record format conversion takes ONE Glue schema per delivery stream.
 * - A Lambda transformation rather than EventBridge input transformers or jq partitioning: the
 *   mapping is TypeScript shared with local mode and table-tested, not a second template language.
 * - Buffering: with format conversion and dynamic partitioning Firehose requires 64-128 MiB and at
 *   least 60 s; 128 MiB / 900 s (the maximum) makes few, large Parquet objects per partition (an
 *   object arrives up to about 1.5 x 900 s after its first record: the warehouse is for analysis,
 *   the bus and the API are the real-time views).
 */
import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { type EventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, FirehoseDeliveryStream } from 'aws-cdk-lib/aws-events-targets';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  type CfnDeliveryStream,
  DeliveryStream,
  InputFormat,
  LambdaFunctionProcessor,
  OutputFormat,
  S3Bucket,
  type SchemaConfiguration,
  StreamEncryption,
} from 'aws-cdk-lib/aws-kinesisfirehose';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  WAREHOUSE_COLUMNS,
  WAREHOUSE_DETAIL_TYPES,
  WAREHOUSE_PARTITION_KEY,
  WAREHOUSE_SOURCE,
  WAREHOUSE_TABLES,
  type WarehouseTable,
} from '../lambdas/core/warehouse-records.js';
import { ENV } from '../lambdas/platform/config.js';
import { HANDLERS } from './handlers.js';
import { acknowledgeDeadLetterQueue, omsFunction, secureQueue } from './lambda-defaults.js';

export const WAREHOUSE_DATABASE = 'stockbot_oms_warehouse';
/** Delivery stream names: fixed, so the transformation maps a stream to its table without a reference cycle. */
export const warehouseStreamName = (table: WarehouseTable): string => `stockbot-oms-warehouse-${table}`;
/** The first date partition projection enumerates (Athena prunes by it; earlier dates are never read). */
const PROJECTION_START = '2024-01-01';

export interface DataWarehouseProps {
  readonly bus: EventBus;
}

export class DataWarehouse extends Construct {
  readonly bucket: Bucket;
  readonly database: CfnDatabase;
  readonly tables: Record<WarehouseTable, CfnTable>;
  readonly streams: Record<WarehouseTable, DeliveryStream>;
  readonly transform: NodejsFunction;
  readonly workGroup: CfnWorkGroup;
  /** The rules' dead-letter queues, by name (alarmed by Operations). */
  readonly deadLetterQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: DataWarehouseProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the server access logs of the warehouse bucket; logging it would recurse.',
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'warehouse/',
    });

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: WAREHOUSE_DATABASE,
        description: 'stockbot OMS Data Warehouse: orders, executions, tca (docs/warehouse.md)',
      },
    });

    this.transform = omsFunction(this, 'TransformWarehouseRecords', {
      entry: HANDLERS.transformWarehouseRecords,
      description: 'Firehose transformation: OMS bus event -> warehouse row and its date partition',
      // Firehose waits up to 5 minutes for a transformation; a batch of 1 MiB maps in milliseconds.
      timeout: Duration.minutes(1),
      environment: {
        [ENV.warehouseStreamTables]: JSON.stringify(
          Object.fromEntries(WAREHOUSE_TABLES.map((t) => [warehouseStreamName(t), t])),
        ),
      },
    });

    const tables = {} as Record<WarehouseTable, CfnTable>;
    const streams = {} as Record<WarehouseTable, DeliveryStream>;
    for (const table of WAREHOUSE_TABLES) {
      const name = pascal(table);
      const location = `s3://${this.bucket.bucketName}/${table}/`;
      const glueTable = new CfnTable(this, `${name}Table`, {
        catalogId: stack.account,
        databaseName: WAREHOUSE_DATABASE,
        tableInput: {
          name: table,
          description: `One row per ${table === 'orders' ? 'order lifecycle event of interest' : table === 'executions' ? 'fill' : 'OrderTcaRecorded'} (docs/warehouse.md)`,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'parquet',
            EXTERNAL: 'TRUE',
            'parquet.compression': 'SNAPPY',
            // Partition projection: Athena computes the partitions, nothing registers them.
            'projection.enabled': 'true',
            [`projection.${WAREHOUSE_PARTITION_KEY}.type`]: 'date',
            [`projection.${WAREHOUSE_PARTITION_KEY}.format`]: 'yyyy-MM-dd',
            [`projection.${WAREHOUSE_PARTITION_KEY}.range`]: `${PROJECTION_START},NOW`,
            [`projection.${WAREHOUSE_PARTITION_KEY}.interval`]: '1',
            [`projection.${WAREHOUSE_PARTITION_KEY}.interval.unit`]: 'DAYS',
            'storage.location.template': `${location}${WAREHOUSE_PARTITION_KEY}=\${${WAREHOUSE_PARTITION_KEY}}/`,
          },
          partitionKeys: [
            { name: WAREHOUSE_PARTITION_KEY, type: 'string', comment: 'New York trading date, YYYY-MM-DD' },
          ],
          storageDescriptor: {
            location,
            columns: WAREHOUSE_COLUMNS[table].map((c) => ({
              name: c.name,
              type: c.type,
              ...(c.comment === '' ? {} : { comment: c.comment }),
            })),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            },
          },
        },
      });
      glueTable.node.addDependency(this.database);
      tables[table] = glueTable;

      const stream = new DeliveryStream(this, `${name}Stream`, {
        deliveryStreamName: warehouseStreamName(table),
        encryption: StreamEncryption.awsOwnedKey(),
        destination: new S3Bucket(this.bucket, {
          dataOutputPrefix: `${table}/${WAREHOUSE_PARTITION_KEY}=!{partitionKeyFromLambda:${WAREHOUSE_PARTITION_KEY}}/`,
          errorOutputPrefix: `errors/${table}/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/`,
          bufferingInterval: Duration.seconds(900),
          bufferingSize: Size.mebibytes(128),
          processors: [
            new LambdaFunctionProcessor(this.transform, {
              bufferInterval: Duration.seconds(60),
              bufferSize: Size.mebibytes(1),
              retries: 3,
            }),
          ],
          dataFormatConversion: {
            schemaConfiguration: glueTableSchema(glueTable),
            inputFormat: InputFormat.HIVE_JSON,
            outputFormat: OutputFormat.PARQUET,
          },
          dynamicPartitioning: { enabled: true },
        }),
      });
      streams[table] = stream;

      const dlq = secureQueue(this, `${name}RuleDlq`);
      acknowledgeDeadLetterQueue(dlq, `the ${table} warehouse rule's target`);
      this.deadLetterQueues[`Warehouse${name}`] = dlq;
      new Rule(this, `${name}Rule`, {
        eventBus: props.bus,
        description: `Warehouse table ${table}: ${WAREHOUSE_DETAIL_TYPES[table].join(', ')} -> Firehose -> Parquet`,
        eventPattern: { source: [WAREHOUSE_SOURCE], detailType: [...WAREHOUSE_DETAIL_TYPES[table]] },
        targets: [firehoseWithDeadLetterQueue(stream, dlq)],
      });

      // The Firehose role as CDK grants it (S3 destination, Glue schema, Lambda processor).
      for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
        Validations.of(stream).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            'Firehose S3 destination role as CDK grants it (multipart upload, retries); limited to the warehouse bucket.',
        });
      }
      Validations.of(stream).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/*]`,
        reason:
          'Firehose writes objects with generated keys (partition, time, uuid) under the warehouse bucket only.',
      });
      Validations.of(stream).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.transform.node.defaultChild as never)}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the transformation function and its versions (CDK grantInvoke).',
      });
    }
    this.tables = tables;
    this.streams = streams;

    // Athena: a workgroup whose query results are encrypted and kept beside the data.
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: 'stockbot-oms-warehouse',
      description: 'Queries of the stockbot OMS Data Warehouse (database stockbot_oms_warehouse)',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/athena-results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}

/** The Firehose target with EventBridge's retries and a dead-letter queue (the L2 target has neither). */
function firehoseWithDeadLetterQueue(stream: DeliveryStream, dlq: Queue): IRuleTarget {
  const inner = new FirehoseDeliveryStream(stream);
  return {
    bind(rule, id) {
      addToDeadLetterQueueResourcePolicy(rule, dlq);
      return {
        ...inner.bind(rule, id),
        deadLetterConfig: { arn: dlq.queueArn },
        retryPolicy: { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 },
      };
    },
  };
}

/**
 * CDK's `SchemaConfiguration.fromCfnTable`, less its `glue:GetSchemaVersion` on "*" (a Schema
 * Registry action; conversion from a Glue table reads the table only): the role may read the
 * catalog, the database and this table, nothing else.
 */
function glueTableSchema(table: CfnTable): SchemaConfiguration {
  const databaseName = table.databaseName;
  const tableName = table.ref;
  const binding = {
    bind(scope: Construct, options: { role: IRole }): CfnDeliveryStream.SchemaConfigurationProperty {
      const stack = Stack.of(scope);
      options.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: databaseName }),
            stack.formatArn({
              service: 'glue',
              resource: 'table',
              resourceName: `${databaseName}/${tableName}`,
            }),
          ],
        }),
      );
      return {
        roleArn: options.role.roleArn,
        region: stack.region,
        catalogId: stack.account,
        databaseName,
        tableName,
        versionId: 'LATEST',
      };
    },
  };
  // SchemaConfiguration has a private constructor; the destination only calls bind().
  return binding as unknown as SchemaConfiguration;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
