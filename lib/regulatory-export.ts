/**
 * The CAT-shaped daily export and the audit archive on WORM storage (issue 16, docs/compliance.md
 * "CAT-shaped daily export"):
 *
 *   EventBridge schedule, daily 06:00 UTC (after midnight in New York, EST or EDT)
 *     -> ExportCatDay (lambdas/regulatory-export/export-cat-day.ts): reads the previous New York
 *        day from the event store (a Scan for the day's orders, a Query per order), writes
 *        archive/<date>/events-<date>.jsonl   the day's events as stored (the event store's archive)
 *        cat/<date>/<imid>-<date>.jsonl        one CAT record per reportable event
 *        cat/<date>/<imid>-<date>.manifest.json  counts, the records' hash chain, both files' SHA-256
 *     -> the audit bucket: versioned, Object Lock enabled, default retention COMPLIANCE mode for
 *        `oms:auditRetentionDays` (default 2555 days, 7 years: SEC Rule 17a-4(f) keeps order records
 *        6 years, CAT NMS Plan data 6; 7 leaves a margin). In compliance mode no user, root
 *        included, can delete or overwrite a locked version before its retention ends.
 *
 * Nothing here is on an order's path: the job reads after the day.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/platform/config.js';
import { HANDLERS } from './handlers.js';
import { omsFunction, useTable } from './lambda-defaults.js';

/** The retention default: 7 years (SEC Rule 17a-4(f) / CAT NMS Plan: 6 years, plus a margin). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 2555;
export { DEFAULT_CAT_REPORTER_IMID } from '../lambdas/platform/config.js';

export interface RegulatoryExportProps {
  readonly events: ITable;
  readonly retentionDays: number;
  readonly reporterImid: string;
}

export class RegulatoryExport extends Construct {
  readonly bucket: Bucket;
  readonly exportCatDay: NodejsFunction;

  constructor(scope: Construct, id: string, props: RegulatoryExportProps) {
    super(scope, id);
    if (!Number.isSafeInteger(props.retentionDays) || props.retentionDays < 1)
      throw new Error(`oms:auditRetentionDays: ${props.retentionDays} is not a whole number of days >= 1`);
    if (!/^[A-Z0-9]{1,8}$/.test(props.reporterImid))
      throw new Error(
        `oms:catReporterImid: ${props.reporterImid} is not an IMID (1-8 upper-case letters or digits)`,
      );

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the server access logs of the audit bucket; logging it would recurse.',
    });
    this.bucket = new Bucket(this, 'AuditBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit/',
      // The audit trail outlives the stack: a deleted stack leaves the bucket (and its locks).
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.exportCatDay = omsFunction(this, 'ExportCatDay', {
      entry: HANDLERS.exportCatDay,
      description: 'Schedule: the CAT-shaped export of the previous New York day to the WORM audit bucket',
      // A Scan of the event store and a Query per order of the day: minutes at most.
      timeout: Duration.minutes(15),
      environment: {
        [ENV.auditBucket]: this.bucket.bucketName,
        [ENV.catReporterImid]: props.reporterImid,
      },
    });
    useTable(this.exportCatDay, props.events, ENV.eventStoreTable, 'read');
    // Read (is the stored manifest the one recomputed?) and put, under the export's two prefixes
    // only; never delete, never touch retention or legal holds (CDK's grantPut would add those).
    // ListBucket: so a missing object is NoSuchKey rather than AccessDenied.
    const objects = ['cat/*', 'archive/*'].map((p) => this.bucket.arnForObjects(p));
    this.exportCatDay.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: objects }),
    );
    this.exportCatDay.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never);
    for (const prefix of ['cat', 'archive']) {
      Validations.of(this.exportCatDay.role ?? this.exportCatDay).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}/*]`,
        reason: `The export writes ${prefix}/<date>/ objects of any date under the audit bucket only.`,
      });
    }

    new Rule(this, 'ExportCatDaySchedule', {
      description:
        'Daily CAT-shaped export of the previous New York day (06:00 UTC: after midnight in New York)',
      schedule: Schedule.cron({ minute: '0', hour: '6' }),
      targets: [new LambdaFunction(this.exportCatDay, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
