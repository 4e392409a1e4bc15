/**
 * The regulatory export's resources (lib/regulatory-export.ts): a WORM bucket (versioned, Object
 * Lock, default retention COMPLIANCE for `oms:auditRetentionDays`), the daily schedule, and a
 * function that may read the event store and read/put objects, never delete them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { OmsStack } from '../../lib/oms-stack.js';
import { STACK_NAME, synthesisContext } from '../../local/topology.js';
import { omsTemplate } from '../infra/synthesized.js';

/** The stack as deployed (cdk.json's context) with `context` on top. */
function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({
    context: synthesisContext(context),
    outdir: mkdtempSync(join(tmpdir(), 'oms-cat-')),
  });
  return Template.fromStack(new OmsStack(app, STACK_NAME));
}

describe('the audit bucket and the daily CAT export', () => {
  // The default: the run's one synthesis (test/infra/synthesized.ts).
  let template: Template;
  beforeAll(async () => {
    template = Template.fromJSON(await omsTemplate());
  });

  test('the audit bucket is versioned, Object Lock enabled, COMPLIANCE for 2555 days by default, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        ObjectLockEnabled: true,
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test.each([
    [{ 'oms:auditRetentionDays': 3650 }, 3650],
    [{ 'oms:auditRetentionDays': '30' }, 30],
  ])('retention comes from the stack setting %j', (context, days) => {
    synth(context).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: days } } },
    });
  });

  test.each([
    [{ 'oms:auditRetentionDays': 0 }, /oms:auditRetentionDays/],
    [{ 'oms:auditRetentionDays': 'seven years' }, /oms:auditRetentionDays/],
    [{ 'oms:catReporterImid': 'not an imid' }, /oms:catReporterImid/],
  ])('a bad setting %j stops the synth naming it', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });

  test('a daily schedule after New York midnight invokes the export', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      Targets: Match.arrayWith([
        Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) }),
      ]),
    });
  });

  test('the function knows the bucket, the event store and the reporter IMID', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AUDIT_BUCKET: Match.anyValue(),
          EVENT_STORE_TABLE: Match.anyValue(),
          CAT_REPORTER_IMID: 'STKB',
        }),
      },
    });
  });

  test("the function's role may put and read objects, and may not delete them or change their retention", () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ AUDIT_BUCKET: Match.anyValue() }) } },
    });
    const [fn] = Object.values(fns);
    const roleId = fn?.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    const actions = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 'dynamodb:Scan', 'dynamodb:Query']));
    expect(
      actions.filter((a: string) =>
        /s3:Delete|s3:PutObjectRetention|s3:BypassGovernance|s3:PutBucket/.test(a),
      ),
    ).toEqual([]);
  });
});
