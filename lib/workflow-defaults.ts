/**
 * The one way this stack builds an order workflow (the lifecycle, the algorithmic parent's
 * schedule): a Standard state machine from an ASL file's text with its `${...}` substitutions,
 * logs (ALL, without execution data) to its own log group, X-Ray tracing, a year's timeout (a
 * Standard execution's limit: the longest order lives until its GTC expiry), and invoke rights on
 * each task function with the cdk-nag acknowledgements that go with them.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { LOG_RETENTION } from './lambda-defaults.js';

export interface OrderWorkflowProps {
  readonly comment: string;
  readonly aslText: string;
  /** The ASL's placeholders: each task function's ARN by its placeholder, plus any plain values. */
  readonly taskFunctions: Record<string, NodejsFunction>;
  readonly extraSubstitutions?: Record<string, string>;
}

/** Creates `Logs` and `StateMachine` in `scope` (their logical ids stay those of the scope's). */
export function orderWorkflow(scope: Construct, props: OrderWorkflowProps): StateMachine {
  const logGroup = new LogGroup(scope, 'Logs', {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    stateMachineType: StateMachineType.STANDARD,
    // Inline (not an S3 asset as fromFile would make it): the template is self-contained, so local
    // mode and reviewers read the definition and its substitutions straight from it.
    definitionBody: DefinitionBody.fromString(props.aslText),
    definitionSubstitutions: {
      ...Object.fromEntries(Object.entries(props.taskFunctions).map(([name, fn]) => [name, fn.functionArn])),
      ...props.extraSubstitutions,
    },
    logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    tracingEnabled: true,
    timeout: Duration.days(365),
  });
  const stack = Stack.of(scope);
  for (const fn of Object.values(props.taskFunctions)) {
    fn.grantInvoke(stateMachine);
    Validations.of(stateMachine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      reason: 'Invoking a task function by any version/alias ARN of that one function (grantInvoke).',
    });
  }
  Validations.of(stateMachine).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Log delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray tracing actions support no ' +
      'resource-level permissions.',
  });
  return stateMachine;
}
