/**
 * Firehose data transformation of the Data Warehouse's delivery streams (lib/data-warehouse.ts):
 * each record is an EventBridge event the table's bus rule sent; it becomes the table's row (core
 * `warehouseRowOf`, the one mapping local mode uses too) as one JSON line, with the partition key
 * `date` for dynamic partitioning (`!{partitionKeyFromLambda:date}`). Firehose then converts the
 * JSON to Parquet with the Glue table's schema.
 *
 * Which table: the delivery stream's name, looked up in WAREHOUSE_STREAM_TABLES (one function serves
 * the three streams). An event the table does not take is `Dropped`; one that cannot be a row is
 * `ProcessingFailed`, which Firehose writes under the errors prefix: nothing is lost silently.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { isWarehouseTable, type WarehouseTable, warehouseRowOf } from '../core/warehouse-records.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { logger } from '../platform/observability.js';

/** `{<delivery stream name>: <table>}` from the environment. */
export function streamTables(json: string): ReadonlyMap<string, WarehouseTable> {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error(`${ENV.warehouseStreamTables} is not an object`);
  const out = new Map<string, WarehouseTable>();
  for (const [stream, table] of Object.entries(parsed)) {
    if (typeof table !== 'string' || !isWarehouseTable(table))
      throw new Error(`${ENV.warehouseStreamTables}: ${stream} -> ${String(table)} is not a warehouse table`);
    out.set(stream, table);
  }
  return out;
}

/** The stream name in a delivery stream ARN (`arn:aws:firehose:<region>:<account>:deliverystream/<name>`). */
export function streamNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

type PartitionedResultRecord = FirehoseTransformationResultRecord & {
  metadata?: { partitionKeys: Record<string, string> };
};

/** The transformation of one batch, for a stream that feeds `table`. */
export function transformRecords(
  table: WarehouseTable,
  records: FirehoseTransformationEvent['records'],
): PartitionedResultRecord[] {
  return records.map((r): PartitionedResultRecord => {
    let event: unknown;
    try {
      event = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8'));
    } catch {
      logger.warn('warehouse record is not JSON', { recordId: r.recordId, table });
      return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
    }
    const mapped = warehouseRowOf(table, (event ?? {}) as Record<string, unknown>);
    if (mapped.kind === 'skip') return { recordId: r.recordId, result: 'Dropped', data: r.data };
    if (mapped.kind === 'invalid') {
      logger.warn('warehouse record refused', { recordId: r.recordId, table, reason: mapped.reason });
      return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
    }
    return {
      recordId: r.recordId,
      result: 'Ok',
      data: Buffer.from(`${JSON.stringify(mapped.row)}\n`, 'utf8').toString('base64'),
      metadata: { partitionKeys: { date: mapped.date } },
    };
  });
}

let tables: ReadonlyMap<string, WarehouseTable> | undefined;

export async function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  tables ??= streamTables(requiredEnv(ENV.warehouseStreamTables));
  const name = streamNameOf(event.deliveryStreamArn);
  const table = tables.get(name);
  // A stream this function was not set up for: a deployment error, not bad data; fail the batch.
  if (table === undefined) throw new Error(`delivery stream ${name} feeds no warehouse table`);
  return { records: transformRecords(table, event.records) };
}
