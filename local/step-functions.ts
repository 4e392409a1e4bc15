/**
 * The Step Functions stand-in of local mode: runs the topology's state machines (the resolved ASL)
 * with aws-local-stepfunctions behind the SFN JSON protocol actions the handlers use
 * (StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution,
 * SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat).
 *
 * How the library is driven:
 * - Every Task state runs through a local handler (`taskResourceLocalHandlers`) that speaks the
 *   service integration itself: `lambda:invoke` wraps the function's answer like AWS
 *   (`{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}`), a function
 *   error becomes the task's error (Error = errorType, Cause = `{errorMessage, errorType, stackTrace}`);
 *   `lambda:invoke.waitForTaskToken` invokes the function, then waits for SendTaskSuccess/Failure.
 * - Timeouts are this module's (the library's copy of each Task gets a timeout it never reaches):
 *   TimeoutSeconds / TimeoutSecondsPath (evaluated on the state's effective input, like AWS, by
 *   wrapping the Parameters) and HeartbeatSeconds / HeartbeatSecondsPath, all ending in
 *   `States.Timeout` (an instance of the library's own timeout error, so `States.TaskFailed` does not
 *   match it, as on AWS). The library's timeout is one setTimeout (24.8 days at most): a task that
 *   runs longer (a GTC order's 90-day outcome wait) answers the library in attempts of at most
 *   WAIT_CHUNK_MS, each re-attached to the same task by a hidden Retry (see `attemptTask`).
 * - `$$.Task.Token` is a getter on the execution's context object: evaluating the Parameters of a
 *   waiting task mints a fresh token, which the task's handler (called synchronously right after)
 *   takes over. Every waiting task, retries included, gets its own token.
 * - The history is mapped from the library's event log (state entered/exited, execution end) merged
 *   with the task events this module emits (TaskScheduled, TaskStarted, TaskSubmitted,
 *   TaskSucceeded, TaskFailed, TaskTimedOut) at their place.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { LocalServiceError } from './errors.js';
import {
  type InvokeResult,
  type Invoker,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type StateMachineSpec,
} from './types.js';

type Json = Record<string, unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** One event of GetExecutionHistory, as AWS returns it (timestamps in epoch seconds). */
export interface HistoryEvent {
  readonly timestamp: number;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: string]: unknown;
}

/** One state of an execution's path, for the local inspection endpoint. */
export interface ConsoleStep {
  readonly state: string;
  readonly type: string;
  readonly enteredAt: string;
  exitedAt: string | null;
  /** `caught`: the state failed and its Catch moved on; `failed`: the failure ended the execution. */
  status: 'running' | 'succeeded' | 'failed' | 'caught';
  retries: number;
  error?: string;
  cause?: string;
}

/** An execution's path as the console shows it: the states entered, in order. */
export interface ConsoleHistory {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly path: readonly ConsoleStep[];
}

export interface LocalStepFunctionsOptions {
  /** Pause before every retry, in ms, instead of the Retry fields' intervals (tests). */
  readonly retryIntervalMs?: number;
  /** Executions kept in memory; the oldest finished ones are dropped first. Default 10 000. */
  readonly maxExecutions?: number;
  /** Called for every state an execution enters (a billed transition of a Standard workflow). */
  readonly onStateEntered?: (stateMachineName: string, stateName: string) => void;
}

/** A timer that is cleared like `clearTimeout`; see `setLongTimeout`. */
export interface LongTimer {
  clear(): void;
}

/** setTimeout's longest delay (about 24.8 days); a longer one fires at once, with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `setTimeout` for any delay: waits longer than setTimeout's limit (a GTC order's 90 days) are
 * re-armed in pieces until the real deadline.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = deadline - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(left, 0), MAX_TIMER_MS));
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

/** The library's timeout is 24.8 days at most (setTimeout's limit): this module times tasks out. */
const LIBRARY_TASK_TIMEOUT_SECONDS = 2_147_483;
/**
 * A Wait state runs as a local task (`prepare`): the library's Wait is one setTimeout, which fires at
 * once past 24.8 days (a TWAP over 80 days released every slice at once). The task waits at most
 * this long an attempt, under the library's task timeout, then throws WAIT_MORE, which its hidden
 * Retry (no interval) answers with the next attempt until the deadline; the history shows a Wait.
 */
const WAIT_CHUNK_MS = 20 * 24 * 3_600_000;
const WAIT_MORE = 'Local.WaitMore';
/** The hidden Retry of every Wait and Task state (first, so no Retry or Catch of theirs sees WAIT_MORE). */
const WAIT_MORE_RETRY = {
  ErrorEquals: [WAIT_MORE],
  MaxAttempts: 99_999_999,
  IntervalSeconds: 0,
  BackoffRate: 1,
} as const;
const WAIT_RESOURCE = 'local:wait';
const LOCAL_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local-stepfunctions`;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;
const TOKEN_PREFIX = 'AQ';
const TOKEN_PATTERN = /^AQ[A-Za-z0-9_-]{64}$/;
/** AWS: 1-80 characters, no whitespace, brackets, wildcards, special or control characters. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
const validName = (name: string) =>
  EXECUTION_NAME.test(name) &&
  ![...name].some((c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
const MAX_INPUT_BYTES = 262_144;

const iso = (ms: number) => new Date(ms).toISOString();

function fail(type: string, message: string): never {
  throw new LocalServiceError(type, message);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// The library's States.Timeout error class (not exported): obtained once from a 1 ms task timeout.

type ErrorClass = new () => Error;
let timeoutErrorClass: Promise<ErrorClass | null> | undefined;

function probeTimeoutErrorClass(): Promise<ErrorClass | null> {
  timeoutErrorClass ??= (async () => {
    const machine = new StateMachine(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:probe`,
            TimeoutSeconds: 0.001,
            End: true,
          },
        },
      } as never,
      { validationOptions: { noValidate: true } },
    );
    let release = () => {};
    const pending = new Promise<null>((resolve) => {
      release = () => resolve(null);
    });
    try {
      await machine.run({}, { overrides: { taskResourceLocalHandlers: { T: () => pending } } }).result;
      return null;
    } catch (err) {
      const inner = (err as { cause?: unknown }).cause;
      return inner instanceof Error && inner.name === 'States.Timeout'
        ? (inner.constructor as ErrorClass)
        : null;
    } finally {
      release();
    }
  })();
  return timeoutErrorClass;
}

/** Validation takes the library (asl-validator) about half a second: once per definition. */
const validated = new Map<string, string | null>();
function validate(definition: Json): string | null {
  const key = JSON.stringify(definition);
  let problem = validated.get(key);
  if (problem === undefined) {
    try {
      // Validates the definition as CreateStateMachine would.
      new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
      problem = null;
    } catch (err) {
      problem = (err as Error).message;
    }
    validated.set(key, problem);
  }
  return problem;
}

/** A task's failure, as the library's Retry/Catch see it: `name` is the Error, `message` the Cause. */
class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** Ends an in-flight task of a stopped execution: neither retried nor caught. */
function abortError(): Error {
  return Object.assign(new Error('Execution stopped'), {
    name: 'LocalExecutionStopped',
    isRetryable: false,
    isCatchable: false,
  });
}

// ---------------------------------------------------------------------------------------------
// Definitions

interface TaskDefinition {
  readonly Resource: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number;
  readonly HeartbeatSecondsPath?: string;
}

interface Machine {
  readonly spec: StateMachineSpec;
  readonly runner: StateMachine;
  /** Task states by name (nested Parallel/Map states included): their original definitions. */
  readonly tasks: ReadonlyMap<string, TaskDefinition>;
  readonly retryStates: readonly string[];
  /** Wait states by name: run as local tasks (see WAIT_CHUNK_MS), shown as Waits. */
  readonly waits: ReadonlySet<string>;
}

/**
 * The library's copy of a definition: each Task's Parameters are wrapped so its handler receives the
 * evaluated Parameters plus the timeout paths evaluated on the effective input, and its timeouts are
 * taken out (this module applies them).
 */
function prepare(
  definition: Json,
  tasks: Map<string, TaskDefinition>,
  retryStates: string[],
  waits: Set<string>,
): Json {
  const states = (definition.States ?? {}) as Record<string, Json>;
  const out: Record<string, Json> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Wait') {
      waits.add(name);
      const { Seconds, Timestamp, SecondsPath, TimestampPath, ...rest } = state;
      out[name] = {
        ...rest,
        Type: 'Task',
        Resource: WAIT_RESOURCE,
        Parameters: {
          'Input.$': '$',
          ...(Seconds !== undefined
            ? { Seconds }
            : Timestamp !== undefined
              ? { Timestamp }
              : SecondsPath !== undefined
                ? { 'Seconds.$': SecondsPath }
                : { 'Timestamp.$': TimestampPath }),
        },
        TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
        Retry: [WAIT_MORE_RETRY],
      };
      continue;
    }
    const copy: Json = { ...state };
    if (Array.isArray(state.Retry) && state.Retry.length > 0) retryStates.push(name);
    if (state.Type === 'Task') {
      tasks.set(name, state as unknown as TaskDefinition);
      const wrapped: Json =
        'Parameters' in state ? { Parameters: state.Parameters } : { 'Parameters.$': '$' };
      if (typeof state.TimeoutSecondsPath === 'string')
        wrapped['TimeoutSeconds.$'] = state.TimeoutSecondsPath;
      if (typeof state.HeartbeatSecondsPath === 'string')
        wrapped['HeartbeatSeconds.$'] = state.HeartbeatSecondsPath;
      // The context object of this run (one per execution, Map iteration and Parallel branch): with
      // the state's name it names the running task a WAIT_MORE retry re-attaches to.
      wrapped['Context.$'] = '$$';
      copy.Parameters = wrapped;
      delete copy.TimeoutSecondsPath;
      delete copy.HeartbeatSeconds;
      delete copy.HeartbeatSecondsPath;
      copy.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
      copy.Retry = [WAIT_MORE_RETRY, ...(Array.isArray(state.Retry) ? state.Retry : [])];
    }
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      copy.Branches = state.Branches.map((b) => prepare(b as Json, tasks, retryStates, waits));
    }
    if (state.Type === 'Map') {
      for (const key of ['Iterator', 'ItemProcessor'] as const) {
        if (state[key] !== undefined) copy[key] = prepare(state[key] as Json, tasks, retryStates, waits);
      }
    }
    out[name] = copy;
  }
  return { ...definition, States: out };
}

// ---------------------------------------------------------------------------------------------
// Executions

interface TaskEventGroup {
  readonly stateName: string;
  live: boolean;
  readonly buffer: { timestamp: number; type: string; details: Json }[];
}

interface TaskWait {
  readonly token: string;
  readonly execution: Execution;
  status: 'waiting' | 'done' | 'timedOut';
  succeed(output: unknown): void;
  fail(error: string, cause: string): void;
  heartbeat(): void;
}

interface Execution {
  readonly seq: number;
  readonly arn: string;
  readonly name: string;
  readonly machine: Machine;
  readonly input: string;
  readonly canonicalInput: string;
  readonly traceHeader: string | undefined;
  readonly startMs: number;
  status: ExecutionStatus;
  stopMs: number | null;
  output: string | null;
  error: string | null;
  cause: string | null;
  readonly history: HistoryEvent[];
  readonly steps: ConsoleStep[];
  /** The token `$$.Task.Token` minted for the task about to run. */
  pendingToken: string | undefined;
  readonly groups: TaskEventGroup[];
  readonly tokens: string[];
  readonly stop: AbortController;
  /** A Seconds wait's deadline while it spans several attempts, by state name and input. */
  readonly waitDeadlines: Map<string, number>;
  /** Tasks answering the library in attempts (see `attemptTask`), by run context and state name. */
  readonly runningTasks: WeakMap<object, Map<string, Promise<unknown>>>;
  abortRun: () => void;
  done: Promise<void>;
}

interface LibraryEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input: unknown;
    readonly output?: unknown;
  };
  readonly output?: unknown;
  readonly Error?: unknown;
  readonly Cause?: unknown;
  readonly index?: number;
  readonly retry?: { readonly retrier?: { readonly ErrorEquals?: readonly string[] } };
}

/** AWS names the details after the event type, but all `*StateEntered` / `*StateExited` share theirs. */
const detailsKey = (type: string) =>
  type.endsWith('StateEntered')
    ? 'stateEnteredEventDetails'
    : type.endsWith('StateExited')
      ? 'stateExitedEventDetails'
      : `${type[0]?.toLowerCase()}${type.slice(1)}EventDetails`;
const stringify = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null));

export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, TaskWait>();
  private readonly maxExecutions: number;
  private seq = 0;
  private closed = false;

  constructor(
    stateMachines: readonly StateMachineSpec[],
    private readonly invoker: Invoker,
    private readonly options: LocalStepFunctionsOptions = {},
  ) {
    this.maxExecutions = options.maxExecutions ?? 10_000;
    for (const spec of stateMachines) {
      const problem = validate(spec.definition);
      if (problem !== null) throw new Error(`state machine ${spec.name}: ${problem}`);
      const tasks = new Map<string, TaskDefinition>();
      const retryStates: string[] = [];
      const waits = new Set<string>();
      const prepared = prepare(spec.definition, tasks, retryStates, waits);
      const runner = new StateMachine(prepared as never, { validationOptions: { noValidate: true } });
      this.machines.set(spec.arn, { spec, runner, tasks, retryStates, waits });
    }
    void probeTimeoutErrorClass();
  }

  /** The ARN of the execution named `name` of a state machine. */
  executionArnFor(stateMachineArn: string, name: string): string {
    return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /** SFN JSON protocol actions; protocol errors are thrown as `LocalServiceError`. */
  async handle(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (action) {
      case 'StartExecution':
        return this.startExecution(input);
      case 'DescribeExecution':
        return this.describeExecution(input);
      case 'ListExecutions':
        return this.listExecutions(input);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(input);
      case 'StopExecution':
        return this.stopExecution(input);
      case 'SendTaskSuccess':
        return this.sendTaskSuccess(input);
      case 'SendTaskFailure':
        return this.sendTaskFailure(input);
      case 'SendTaskHeartbeat':
        return this.sendTaskHeartbeat(input);
      case 'DescribeStateMachine':
        return this.describeStateMachine(input);
      case 'ListStateMachines':
        return {
          stateMachines: [...this.machines.values()].map((m) => ({
            stateMachineArn: m.spec.arn,
            name: m.spec.name,
            type: m.spec.type,
            creationDate: 0,
          })),
        };
      default:
        throw new LocalServiceError(
          'UnknownOperationException',
          `local Step Functions has no action ${action}`,
        );
    }
  }

  /** The execution's path (states entered, in order, with timestamps and status). */
  historyForConsole(executionArn: string): ConsoleHistory {
    const e = this.execution(executionArn);
    return {
      executionArn: e.arn,
      stateMachineArn: e.machine.spec.arn,
      name: e.name,
      status: e.status,
      startedAt: iso(e.startMs),
      stoppedAt: e.stopMs === null ? null : iso(e.stopMs),
      error: e.error,
      cause: e.cause,
      path: e.steps.map((s) => ({ ...s })),
    };
  }

  /** How many executions are running (the work meter waits for none before it reads a flow). */
  runningExecutions(): number {
    let n = 0;
    for (const e of this.executions.values()) if (e.status === 'RUNNING') n++;
    return n;
  }

  /** Stops every running execution (ABORTED) and waits until they have wound down. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const e of running) this.abort(e, 'LocalModeStopped', 'local mode stopped');
    await Promise.all(running.map((e) => e.done));
  }

  // --- actions --------------------------------------------------------------------------------

  private async startExecution(input: Json): Promise<Json> {
    if (this.closed) fail('ServiceUnavailable', 'local Step Functions is closed');
    const machine = this.machine(input.stateMachineArn);
    const name = input.name === undefined || input.name === null ? randomUUID() : input.name;
    if (typeof name !== 'string' || !validName(name)) fail('InvalidName', `Invalid Name: '${String(name)}'`);
    const rawInput = input.input === undefined || input.input === null ? '{}' : input.input;
    if (typeof rawInput !== 'string') fail('InvalidExecutionInput', 'input: must be a JSON string');
    if (Buffer.byteLength(rawInput) > MAX_INPUT_BYTES)
      fail('InvalidExecutionInput', `input: larger than ${MAX_INPUT_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawInput);
    } catch {
      fail('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const arn = this.executionArnFor(machine.spec.arn, name);
    const existing = this.executions.get(arn);
    if (existing !== undefined) {
      // Standard workflows: the same name and input while it runs is the same execution.
      if (existing.status === 'RUNNING' && existing.canonicalInput === canonical(parsed)) {
        return { executionArn: arn, startDate: existing.startMs / 1000 };
      }
      fail('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const TimeoutError = await probeTimeoutErrorClass();
    // Another identical StartExecution may have got in while this one waited.
    if (this.executions.has(arn)) return this.startExecution(input);
    const execution = this.launch(machine, arn, name, rawInput, parsed, input.traceHeader, TimeoutError);
    this.evict();
    return { executionArn: arn, startDate: execution.startMs / 1000 };
  }

  private describeExecution(input: Json): Json {
    const e = this.execution(input.executionArn);
    return {
      executionArn: e.arn,
      stateMachineArn: e.machine.spec.arn,
      name: e.name,
      status: e.status,
      startDate: e.startMs / 1000,
      ...(e.stopMs === null ? {} : { stopDate: e.stopMs / 1000 }),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output === null ? {} : { output: e.output, outputDetails: { included: true } }),
      ...(e.error === null ? {} : { error: e.error }),
      ...(e.cause === null ? {} : { cause: e.cause }),
      ...(e.traceHeader === undefined ? {} : { traceHeader: e.traceHeader }),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  private listExecutions(input: Json): Json {
    const machine = this.machine(input.stateMachineArn);
    const statusFilter = input.statusFilter;
    if (
      statusFilter !== undefined &&
      statusFilter !== null &&
      !STATUSES.includes(statusFilter as ExecutionStatus)
    )
      fail('ValidationException', `statusFilter: must be one of ${STATUSES.join(', ')}`);
    const limit = this.maxResults(input.maxResults);
    const after = this.cursor(input.nextToken);
    const matching = [...this.executions.values()]
      .filter((e) => e.machine === machine && (statusFilter == null || e.status === statusFilter))
      .filter((e) => after === null || e.seq < after)
      .sort((a, b) => b.seq - a.seq);
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    return {
      executions: page.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: machine.spec.arn,
        name: e.name,
        status: e.status,
        startDate: e.startMs / 1000,
        ...(e.stopMs === null ? {} : { stopDate: e.stopMs / 1000 }),
      })),
      ...(matching.length > limit && last !== undefined ? { nextToken: this.token(last.seq) } : {}),
    };
  }

  private getExecutionHistory(input: Json): Json {
    const e = this.execution(input.executionArn);
    const limit = this.maxResults(input.maxResults);
    const after = this.cursor(input.nextToken);
    const reverse = input.reverseOrder === true;
    const includeData = input.includeExecutionData !== false;
    let events = reverse ? [...e.history].reverse() : [...e.history];
    if (after !== null) events = events.filter((ev) => (reverse ? ev.id < after : ev.id > after));
    const page = events.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: includeData ? page : page.map(withoutData),
      ...(events.length > limit && last !== undefined ? { nextToken: this.token(last.id) } : {}),
    };
  }

  private stopExecution(input: Json): Json {
    const e = this.execution(input.executionArn);
    if (e.status === 'RUNNING') {
      const error = typeof input.error === 'string' ? input.error : null;
      const cause = typeof input.cause === 'string' ? input.cause : null;
      this.abort(e, error, cause);
    }
    return { stopDate: (e.stopMs ?? Date.now()) / 1000 };
  }

  private sendTaskSuccess(input: Json): Json {
    const wait = this.waiting(input.taskToken);
    if (typeof input.output !== 'string') fail('InvalidOutput', 'output: must be a JSON string');
    let output: unknown;
    try {
      output = JSON.parse(input.output);
    } catch {
      fail('InvalidOutput', 'Invalid Output: not valid JSON');
    }
    wait.succeed(output);
    return {};
  }

  private sendTaskFailure(input: Json): Json {
    const wait = this.waiting(input.taskToken);
    wait.fail(
      typeof input.error === 'string' ? input.error : '',
      typeof input.cause === 'string' ? input.cause : '',
    );
    return {};
  }

  private sendTaskHeartbeat(input: Json): Json {
    this.waiting(input.taskToken).heartbeat();
    return {};
  }

  private describeStateMachine(input: Json): Json {
    const m = this.machine(input.stateMachineArn);
    return {
      stateMachineArn: m.spec.arn,
      name: m.spec.name,
      status: 'ACTIVE',
      definition: JSON.stringify(m.spec.definition),
      roleArn: LOCAL_ROLE_ARN,
      type: m.spec.type,
      creationDate: 0,
    };
  }

  // --- lookups --------------------------------------------------------------------------------

  private machine(arn: unknown): Machine {
    if (typeof arn !== 'string' || !arn.startsWith('arn:'))
      fail('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const m = this.machines.get(arn);
    if (m === undefined) fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  private execution(arn: unknown): Execution {
    if (typeof arn !== 'string' || !arn.startsWith('arn:'))
      fail('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const e = this.executions.get(arn);
    if (e === undefined) fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  private waiting(token: unknown): TaskWait {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) fail('InvalidToken', 'Invalid Token');
    const wait = this.tokens.get(token);
    if (wait === undefined || wait.status === 'done')
      fail('TaskDoesNotExist', 'Task Does Not Exist: the task is not waiting for this token');
    if (wait.status === 'timedOut') fail('TaskTimedOut', 'Task Timed Out: the task has timed out');
    return wait;
  }

  private maxResults(value: unknown): number {
    if (value === undefined || value === null || value === 0) return 100;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000)
      fail('ValidationException', 'maxResults: must be an integer from 0 to 1000');
    return value;
  }

  private token(position: number): string {
    return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
  }

  private cursor(token: unknown): number | null {
    if (token === undefined || token === null) return null;
    try {
      const p = (JSON.parse(Buffer.from(String(token), 'base64url').toString()) as { p?: unknown }).p;
      if (typeof p === 'number' && Number.isInteger(p)) return p;
    } catch {
      // falls through
    }
    return fail('InvalidToken', 'Invalid Token: nextToken');
  }

  // --- running --------------------------------------------------------------------------------

  private launch(
    machine: Machine,
    arn: string,
    name: string,
    rawInput: string,
    parsed: unknown,
    traceHeader: unknown,
    TimeoutError: ErrorClass | null,
  ): Execution {
    const e: Execution = {
      seq: ++this.seq,
      arn,
      name,
      machine,
      input: rawInput,
      canonicalInput: canonical(parsed),
      traceHeader: typeof traceHeader === 'string' ? traceHeader : undefined,
      startMs: Date.now(),
      status: 'RUNNING',
      stopMs: null,
      output: null,
      error: null,
      cause: null,
      history: [],
      steps: [],
      pendingToken: undefined,
      groups: [],
      tokens: [],
      stop: new AbortController(),
      waitDeadlines: new Map(),
      runningTasks: new WeakMap(),
      abortRun: () => {},
      done: Promise.resolve(),
    };
    this.executions.set(arn, e);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, def] of machine.tasks) {
      handlers[stateName] = (taskInput) =>
        this.attemptTask(e, stateName, def, taskInput as Json, TimeoutError);
    }
    for (const stateName of machine.waits) {
      handlers[stateName] = (taskInput) => this.runWait(e, stateName, taskInput as Json);
    }
    const interval = this.options.retryIntervalMs;
    const retryIntervalOverrides =
      interval === undefined ? undefined : Object.fromEntries(machine.retryStates.map((n) => [n, interval]));
    const mint = () => {
      e.pendingToken ??= `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
      return e.pendingToken;
    };
    const run = machine.runner.run(parsed as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(retryIntervalOverrides === undefined ? {} : { retryIntervalOverrides }),
      },
      context: {
        Execution: {
          Id: arn,
          Name: name,
          Input: parsed as never,
          StartTime: new Date(e.startMs).toISOString(),
          RoleArn: LOCAL_ROLE_ARN,
          RedriveCount: 0,
        },
        StateMachine: { Id: machine.spec.arn, Name: machine.spec.name },
        Task: {
          get Token() {
            return mint();
          },
        },
      },
    });
    e.abortRun = run.abort;
    // The event log reports how the execution ends (and the history must show it first).
    run.result.catch(() => {});
    e.done = (async () => {
      try {
        for await (const ev of run.eventLogs as AsyncIterable<LibraryEvent>) this.record(e, ev);
      } finally {
        if (e.status === 'RUNNING')
          this.finish(e, 'FAILED', Date.now(), null, 'States.Runtime', 'execution ended unreported');
      }
    })().catch(() => {});
    return e;
  }

  /** Maps one library event onto the AWS history and the console path. */
  private record(e: Execution, ev: LibraryEvent): void {
    const at = ev.timestamp;
    const isWait = ev.state !== undefined && e.machine.waits.has(ev.state.name);
    // A Wait runs as a task (prepare): it is shown as the Wait. WAIT_MORE attempts (of a Wait or of
    // a long-running Task) are unseen.
    const state = isWait && ev.state !== undefined ? { ...ev.state, type: 'Wait' } : ev.state;
    if (
      (ev.type === 'StateFailed' && ev.Error === WAIT_MORE) ||
      (ev.type === 'StateRetried' && (isWait || ev.retry?.retrier?.ErrorEquals?.[0] === WAIT_MORE))
    )
      return;
    const step = e.steps[e.steps.length - 1];
    switch (ev.type) {
      case 'ExecutionStarted':
        this.append(e, at, 'ExecutionStarted', {
          input: e.input,
          inputDetails: { truncated: false },
          roleArn: LOCAL_ROLE_ARN,
        });
        return;
      case 'StateEntered':
        if (state === undefined) return;
        this.append(e, at, `${state.type}StateEntered`, {
          name: state.name,
          input: stringify(state.input),
          inputDetails: { truncated: false },
        });
        e.steps.push({
          state: state.name,
          type: state.type,
          enteredAt: iso(at),
          exitedAt: null,
          status: 'running',
          retries: 0,
        });
        if (state.type === 'Task') this.taskAttemptStarted(e, state.name);
        return;
      case 'StateRetried':
        if (step !== undefined) {
          step.retries++;
          step.status = 'running';
        }
        if (state?.type === 'Task') this.taskAttemptStarted(e, state.name);
        return;
      case 'StateFailed':
        if (step !== undefined) {
          step.status = 'failed';
          step.error = stringify(ev.Error);
          step.cause = stringify(ev.Cause);
        }
        return;
      case 'StateCaught':
        if (step !== undefined) step.status = 'caught';
        return;
      case 'StateExited':
        if (state === undefined) return;
        this.append(e, at, `${state.type}StateExited`, {
          name: state.name,
          output: stringify(state.output),
          outputDetails: { truncated: false },
        });
        if (step !== undefined) {
          step.exitedAt = iso(at);
          if (step.status !== 'caught') step.status = 'succeeded';
        }
        return;
      case 'ExecutionSucceeded': {
        const output = stringify(ev.output);
        this.append(e, at, 'ExecutionSucceeded', { output, outputDetails: { truncated: false } });
        this.finish(e, 'SUCCEEDED', at, output, null, null);
        return;
      }
      case 'ExecutionFailed': {
        const error = ev.Error === undefined ? null : stringify(ev.Error);
        const cause = ev.Cause === undefined ? null : stringify(ev.Cause);
        this.append(e, at, 'ExecutionFailed', {
          ...(error === null ? {} : { error }),
          ...(cause === null ? {} : { cause }),
        });
        this.finish(e, 'FAILED', at, null, error, cause);
        return;
      }
      case 'ExecutionAborted':
        this.append(e, e.stopMs ?? at, 'ExecutionAborted', {
          ...(e.error === null ? {} : { error: e.error }),
          ...(e.cause === null ? {} : { cause: e.cause }),
        });
        return;
      case 'ExecutionTimeout':
        this.append(e, at, 'ExecutionTimedOut', {
          error: 'States.Timeout',
          cause: 'The execution timed out',
        });
        this.finish(e, 'TIMED_OUT', at, null, 'States.Timeout', null);
        return;
      default:
        return;
    }
  }

  private append(e: Execution, atMs: number, type: string, details: Json): void {
    if (type.endsWith('StateEntered')) {
      this.options.onStateEntered?.(e.machine.spec.logicalId, String((details as { name?: unknown }).name));
    }
    const id = e.history.length + 1;
    e.history.push({
      timestamp: atMs / 1000,
      type,
      id,
      previousEventId: id - 1,
      [detailsKey(type)]: details,
    });
  }

  /** The history reached a Task attempt: its task events, buffered so far, go in now and live after. */
  private taskAttemptStarted(e: Execution, stateName: string): void {
    const group = e.groups[0];
    if (group === undefined || group.stateName !== stateName) return;
    e.groups.shift();
    for (const ev of group.buffer) this.append(e, ev.timestamp, ev.type, ev.details);
    group.buffer.length = 0;
    group.live = true;
  }

  private emit(e: Execution, group: TaskEventGroup, type: string, details: Json): void {
    if (group.live) this.append(e, Date.now(), type, details);
    else group.buffer.push({ timestamp: Date.now(), type, details });
  }

  private finish(
    e: Execution,
    status: ExecutionStatus,
    atMs: number,
    output: string | null,
    error: string | null,
    cause: string | null,
  ): void {
    if (e.status !== 'RUNNING') return;
    e.status = status;
    e.stopMs = atMs;
    e.output = output;
    e.error = error;
    e.cause = cause;
    e.stop.abort();
    // The library keeps running the iterations a failed Map had queued (AWS starts no more) and
    // their Wait timers would hold the process: they end with the execution. (Deferred: the
    // library is still dispatching the event that finished it.)
    setImmediate(() => e.abortRun());
  }

  private abort(e: Execution, error: string | null, cause: string | null): void {
    this.finish(e, 'ABORTED', Date.now(), null, error, cause);
    e.abortRun();
  }

  /** Drops the oldest finished executions (and their tokens) beyond the bound. */
  private evict(): void {
    if (this.executions.size <= this.maxExecutions) return;
    for (const [arn, e] of this.executions) {
      if (this.executions.size <= this.maxExecutions) break;
      if (e.status === 'RUNNING') continue;
      this.executions.delete(arn);
      for (const t of e.tokens) this.tokens.delete(t);
    }
  }

  /**
   * One attempt of a Wait state (run as a task, see WAIT_CHUNK_MS): resolves with the state's input
   * at its deadline, or throws WAIT_MORE after WAIT_CHUNK_MS for the next attempt to go on waiting.
   */
  private runWait(e: Execution, stateName: string, params: Json): Promise<unknown> {
    let key: string | null = null;
    let deadline: number;
    if ('Timestamp' in params) {
      const at = typeof params.Timestamp === 'string' ? Date.parse(params.Timestamp) : Number.NaN;
      if (!Number.isFinite(at))
        return Promise.reject(
          new TaskError('States.Runtime', `${stateName}: the Timestamp is not a timestamp`),
        );
      deadline = at;
    } else {
      const seconds = params.Seconds;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0)
        return Promise.reject(
          new TaskError('States.Runtime', `${stateName}: Seconds must be a non-negative integer`),
        );
      key = `${stateName}\n${canonical(params.Input)}`;
      deadline = e.waitDeadlines.get(key) ?? Date.now() + seconds * 1000;
      e.waitDeadlines.set(key, deadline);
    }
    const left = deadline - Date.now();
    return new Promise((resolve, reject) => {
      if (e.stop.signal.aborted) {
        reject(abortError());
        return;
      }
      const onStop = () => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(
        () => {
          e.stop.signal.removeEventListener('abort', onStop);
          if (left > WAIT_CHUNK_MS) reject(new TaskError(WAIT_MORE, `${stateName}: waiting on`));
          else {
            if (key !== null) e.waitDeadlines.delete(key);
            resolve(params.Input);
          }
        },
        Math.max(0, Math.min(left, WAIT_CHUNK_MS)),
      );
      e.stop.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  /**
   * What the library runs for a Task state. Its task timeout is one setTimeout (24.8 days at most,
   * LIBRARY_TASK_TIMEOUT_SECONDS), so the task (`runTask`, which applies the real timeouts) answers in
   * attempts of at most WAIT_CHUNK_MS: an attempt still running then throws WAIT_MORE, and the hidden
   * Retry's next call re-attaches to the same task (no new invocation, the same token, its timers
   * running on) instead of starting one. A retry after the task failed (a Retry of the state's own)
   * starts a new task.
   */
  private attemptTask(
    e: Execution,
    stateName: string,
    def: TaskDefinition,
    wrapped: Json,
    TimeoutError: ErrorClass | null,
  ): Promise<unknown> {
    const context = wrapped.Context as object;
    let running = e.runningTasks.get(context);
    if (running === undefined) {
      running = new Map();
      e.runningTasks.set(context, running);
    }
    let task = running.get(stateName);
    if (task === undefined) {
      task = this.runTask(e, stateName, def, wrapped, TimeoutError);
      running.set(stateName, task);
    } else e.pendingToken = undefined; // the retry's Parameters minted a token no task takes over
    const tasks = running;
    const current = task;
    return new Promise((resolve, reject) => {
      let waiting = true;
      const timer = setTimeout(() => {
        waiting = false;
        reject(new TaskError(WAIT_MORE, `${stateName}: running on`));
      }, WAIT_CHUNK_MS);
      // Forgotten once a waiting attempt has seen it end (it may end between two attempts: the next
      // one then answers its end).
      const end = () => {
        if (!waiting) return false;
        clearTimeout(timer);
        tasks.delete(stateName);
        return true;
      };
      current.then(
        (result) => {
          if (end()) resolve(result);
        },
        (err: unknown) => {
          if (end()) reject(err);
        },
      );
    });
  }

  /** One attempt of a Task state: the service integration, its timeouts and its task events. */
  private runTask(
    e: Execution,
    stateName: string,
    def: TaskDefinition,
    wrapped: Json,
    TimeoutError: ErrorClass | null,
  ): Promise<unknown> {
    // Synchronously after the Parameters were evaluated: the token they minted is this task's.
    const minted = e.pendingToken;
    e.pendingToken = undefined;
    const group: TaskEventGroup = { stateName, live: false, buffer: [] };
    e.groups.push(group);
    const params = wrapped.Parameters;
    const seconds = (v: unknown) => (typeof v === 'number' && v > 0 ? v : null);
    const timeoutSeconds = seconds(def.TimeoutSeconds) ?? seconds(wrapped.TimeoutSeconds);
    const heartbeatSeconds = seconds(def.HeartbeatSeconds) ?? seconds(wrapped.HeartbeatSeconds);
    const resource = def.Resource;
    const waits = resource === LAMBDA_INVOKE_WAIT;
    const integrated = waits || resource === LAMBDA_INVOKE;
    const resourceName = waits ? 'invoke.waitForTaskToken' : integrated ? 'invoke' : resource;
    const base = { resourceType: 'lambda', resource: resourceName };

    this.emit(e, group, 'TaskScheduled', {
      ...base,
      region: LOCAL_REGION,
      parameters: JSON.stringify(params ?? null),
      ...(timeoutSeconds === null ? {} : { timeoutInSeconds: timeoutSeconds }),
      ...(heartbeatSeconds === null ? {} : { heartbeatInSeconds: heartbeatSeconds }),
    });
    if (!integrated && !LAMBDA_ARN.test(resource)) {
      const err = new TaskError(
        'States.Runtime',
        `local Step Functions does not support the resource ${resource}`,
      );
      this.emit(e, group, 'TaskFailed', { ...base, error: err.name, cause: err.message });
      return Promise.reject(err);
    }
    this.emit(e, group, 'TaskStarted', base);

    return new Promise((resolve, reject) => {
      let settled = false;
      let timeoutTimer: LongTimer | undefined;
      let heartbeatTimer: LongTimer | undefined;
      let wait: TaskWait | undefined;
      const cleanup = (tokenStatus: 'done' | 'timedOut') => {
        settled = true;
        timeoutTimer?.clear();
        heartbeatTimer?.clear();
        e.stop.signal.removeEventListener('abort', onStop);
        if (wait !== undefined) wait.status = tokenStatus;
      };
      const succeed = (result: unknown) => {
        if (settled) return;
        cleanup('done');
        this.emit(e, group, 'TaskSucceeded', {
          ...base,
          output: JSON.stringify(result ?? null),
          outputDetails: { truncated: false },
        });
        resolve(result);
      };
      const failWith = (error: string, cause: string) => {
        if (settled) return;
        cleanup('done');
        this.emit(e, group, 'TaskFailed', { ...base, error, cause });
        reject(new TaskError(error, cause));
      };
      const timeOut = (cause: string) => {
        if (settled) return;
        cleanup('timedOut');
        this.emit(e, group, 'TaskTimedOut', { ...base, error: 'States.Timeout', cause });
        let err: Error;
        if (TimeoutError === null) err = new TaskError('States.Timeout', cause);
        else {
          err = new TimeoutError();
          err.message = cause;
        }
        reject(err);
      };
      const onStop = () => {
        if (settled) return;
        cleanup('done');
        reject(abortError());
      };
      if (e.stop.signal.aborted) {
        onStop();
        return;
      }
      e.stop.signal.addEventListener('abort', onStop, { once: true });
      if (timeoutSeconds !== null) {
        timeoutTimer = setLongTimeout(
          () => timeOut(`Task timed out after ${timeoutSeconds} s`),
          timeoutSeconds * 1000,
        );
      }
      const armHeartbeat = () => {
        if (heartbeatSeconds === null) return;
        heartbeatTimer?.clear();
        heartbeatTimer = setLongTimeout(
          () => timeOut(`No heartbeat within ${heartbeatSeconds} s`),
          heartbeatSeconds * 1000,
        );
      };
      if (waits) {
        const token = minted ?? `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
        wait = {
          token,
          execution: e,
          status: 'waiting',
          succeed,
          fail: failWith,
          heartbeat: armHeartbeat,
        };
        this.tokens.set(token, wait);
        e.tokens.push(token);
        armHeartbeat();
      }

      const fn = integrated ? (params as Json | null)?.FunctionName : resource;
      const payload = integrated ? ((params as Json | null)?.Payload ?? {}) : params;
      if (typeof fn !== 'string') {
        failWith('States.Runtime', 'Parameters.FunctionName: must be a function name or ARN');
        return;
      }
      let invocation: Promise<InvokeResult>;
      try {
        invocation = this.invoker.invoke(fn, payload);
      } catch (err) {
        invocation = Promise.reject(err);
      }
      invocation.then(
        (result) => {
          if (settled) return;
          if (!result.ok) {
            failWith(
              result.errorType,
              JSON.stringify({
                errorMessage: result.errorMessage,
                errorType: result.errorType,
                stackTrace: result.stackTrace ?? [],
              }),
            );
            return;
          }
          if (!integrated) {
            succeed(result.payload);
            return;
          }
          const answer = {
            ExecutedVersion: '$LATEST',
            Payload: result.payload,
            SdkHttpMetadata: {
              AllHttpHeaders: {
                'X-Amz-Executed-Version': ['$LATEST'],
                'Content-Type': ['application/json'],
              },
              HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST', 'Content-Type': 'application/json' },
              HttpStatusCode: 200,
            },
            SdkResponseMetadata: { RequestId: randomUUID() },
            StatusCode: 200,
          };
          if (waits) {
            this.emit(e, group, 'TaskSubmitted', {
              ...base,
              output: JSON.stringify(answer),
              outputDetails: { truncated: false },
            });
          } else succeed(answer);
        },
        (err: unknown) => {
          const name = (err as { name?: unknown })?.name;
          const type =
            typeof name === 'string' && name.endsWith('Exception')
              ? `Lambda.${name}`
              : 'Lambda.ServiceException';
          failWith(type, String((err as Error)?.message ?? err));
        },
      );
    });
  }
}

function withoutData(ev: HistoryEvent): HistoryEvent {
  const out: Record<string, unknown> = { ...ev };
  for (const [k, v] of Object.entries(ev)) {
    if (k.endsWith('EventDetails') && v !== null && typeof v === 'object') {
      const {
        input: _i,
        output: _o,
        inputDetails: _id,
        outputDetails: _od,
        parameters: _p,
        ...rest
      } = v as Json;
      out[k] = rest;
    }
  }
  return out as HistoryEvent;
}
