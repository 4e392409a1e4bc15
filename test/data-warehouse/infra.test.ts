import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import {
  WAREHOUSE_COLUMNS,
  WAREHOUSE_DETAIL_TYPES,
  WAREHOUSE_TABLES,
} from '../../lambdas/core/warehouse-records.js';
import { DataWarehouse, warehouseStreamName } from '../../lib/data-warehouse.js';
import { asList, getAttId, type Json, nagFindings, refId, resourceRefs } from '../infra/template.js';

let resources: Record<string, Json>;
const ofType = (type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as [string, Json][];

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Warehouse');
  new DataWarehouse(stack, 'DataWarehouse', { bus: new EventBus(stack, 'Bus') });
  resources = Template.fromStack(stack).toJSON().Resources;
});

const streamOf = (table: string): [string, Json] => {
  const found = ofType('AWS::KinesisFirehose::DeliveryStream').find(
    ([, s]) => s.Properties.DeliveryStreamName === warehouseStreamName(table as never),
  );
  if (!found) throw new Error(`no stream for ${table}`);
  return found;
};

describe.each(WAREHOUSE_TABLES)('table %s', (table) => {
  test('Glue table: the core columns, partitioned by a projected date, Parquet under <bucket>/<table>/', () => {
    const [, glue] = ofType('AWS::Glue::Table').find(([, t]) => t.Properties.TableInput.Name === table) ?? [];
    const input = glue?.Properties.TableInput as Json;
    expect(input.StorageDescriptor.Columns.map((c: Json) => [c.Name, c.Type])).toEqual(
      WAREHOUSE_COLUMNS[table].map((c) => [c.name, c.type]),
    );
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'date', Type: 'string' })]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.date.format': 'yyyy-MM-dd',
    });
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain(
      `/${table}/date=\${date}/`,
    );
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toMatch(/ParquetHiveSerDe/);
  });

  test('Firehose: encrypted, Lambda transformation, dynamic partitioning by date, Parquet with the Glue table', () => {
    const [, stream] = streamOf(table);
    const p = stream.Properties as Json;
    expect(p.DeliveryStreamEncryptionConfigurationInput).toBeDefined();
    const d = p.ExtendedS3DestinationConfiguration as Json;
    expect(d.Prefix).toBe(`${table}/date=!{partitionKeyFromLambda:date}/`);
    expect(d.ErrorOutputPrefix).toContain('!{firehose:error-output-type}');
    expect(d.DynamicPartitioningConfiguration.Enabled).toBe(true);
    // Firehose's constraints with conversion and dynamic partitioning: 64-128 MiB, 60-900 s.
    expect(d.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
    expect(d.BufferingHints.IntervalInSeconds).toBeGreaterThanOrEqual(60);
    const conv = d.DataFormatConversionConfiguration as Json;
    expect(conv.Enabled).toBe(true);
    expect(conv.InputFormatConfiguration.Deserializer.HiveJsonSerDe).toBeDefined();
    expect(conv.OutputFormatConfiguration.Serializer.ParquetSerDe).toBeDefined();
    const glueId = refId(conv.SchemaConfiguration.TableName) as string;
    expect(resources[glueId]?.Properties.TableInput.Name).toBe(table);
    const processor = (d.ProcessingConfiguration.Processors as Json[])[0] as Json;
    expect(processor.Type).toBe('Lambda');
    const arn = (processor.Parameters as Json[]).find((x) => x.ParameterName === 'LambdaArn')?.ParameterValue;
    const fn = resources[getAttId(arn) as string] as Json;
    expect(fn.Metadata['oms:entry']).toBe('lambdas/data-warehouse/transform-records.ts');
    expect(
      JSON.parse(fn.Properties.Environment.Variables.WAREHOUSE_STREAM_TABLES)[warehouseStreamName(table)],
    ).toBe(table);
  });

  test("bus rule: the table's detail-types of stockbot.oms -> its stream, with retries and a dead-letter queue", () => {
    const [streamId] = streamOf(table);
    const rules = ofType('AWS::Events::Rule').filter(
      ([, r]) => getAttId(r.Properties.Targets[0].Arn) === streamId,
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1] as Json;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['stockbot.oms'],
      'detail-type': [...WAREHOUSE_DETAIL_TYPES[table]],
    });
    const target = rule.Properties.Targets[0] as Json;
    expect(resources[getAttId(target.DeadLetterConfig.Arn) as string]?.Type).toBe('AWS::SQS::Queue');
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  test("the stream's role: the warehouse bucket, its own Glue table, the transformation function; nothing on *", () => {
    const [streamId, stream] = streamOf(table);
    const roleId = getAttId(stream.Properties.ExtendedS3DestinationConfiguration.RoleARN) as string;
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => asList(p.Properties.Roles).some((r: unknown) => refId(r) === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(asList(s.Resource)).not.toContain('*');
    const glue = statements.filter((s) => asList(s.Action).some((a: string) => a.startsWith('glue:')));
    expect(glue).toHaveLength(1);
    expect(JSON.stringify(glue[0]?.Resource)).toContain(
      refId(
        streamOf(table)[1].Properties.ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration
          .SchemaConfiguration.TableName,
      ) as string,
    );
    const refs = statements.flatMap(resourceRefs).filter((r) => !r.startsWith('AWS::'));
    const types = new Set(refs.map((r) => resources[r.split('.')[0] as string]?.Type));
    expect([...types].sort()).toEqual([
      'AWS::Glue::Table',
      'AWS::Lambda::Function',
      'AWS::Logs::LogGroup',
      'AWS::S3::Bucket',
    ]);
    expect(streamId).toBeDefined();
  });
});

test('the bucket refuses plain HTTP and is encrypted; Athena results are encrypted and enforced', () => {
  const streamBucket = getAttId(
    streamOf('orders')[1].Properties.ExtendedS3DestinationConfiguration.BucketARN,
  );
  const bucket = resources[streamBucket as string] as Json;
  expect(bucket.Properties.BucketEncryption).toBeDefined();
  expect(bucket.Properties.PublicAccessBlockConfiguration.BlockPublicAcls).toBe(true);
  const policy = ofType('AWS::S3::BucketPolicy').find(
    ([, p]) => refId(p.Properties.Bucket) === streamBucket,
  )?.[1];
  expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('aws:SecureTransport');
  const [[, wg] = []] = ofType('AWS::Athena::WorkGroup');
  expect(wg?.Properties.WorkGroupConfiguration).toMatchObject({
    EnforceWorkGroupConfiguration: true,
    ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
  });
});

test('the transformation function may only write its logs and traces (it reads nothing, writes nothing)', () => {
  const fnId = ofType('AWS::Lambda::Function').find(
    ([, f]) => f.Metadata?.['oms:entry'] === 'lambdas/data-warehouse/transform-records.ts',
  )?.[0] as string;
  const roleId = getAttId(resources[fnId]?.Properties.Role) as string;
  const actions = ofType('AWS::IAM::Policy')
    .filter(([, p]) => asList(p.Properties.Roles).some((r: unknown) => refId(r) === roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as Json[]).flatMap((s) => asList(s.Action)));
  for (const a of actions) expect(a).toMatch(/^(logs|xray):/);
});

test('cdk-nag AwsSolutions: the construct alone has no unacknowledged finding', () => {
  const findings = nagFindings((app) => {
    const stack = new Stack(app, 'WarehouseNag');
    new DataWarehouse(stack, 'DataWarehouse', { bus: new EventBus(stack, 'Bus') });
  });
  expect(findings).toEqual([]);
});
