/**
 * The Lambda stand-in of local mode: runs each function's handler (FunctionSpec.entry, a .ts
 * file) in its own worker thread, so each function has its own `process.env` and module
 * singletons, like a Lambda execution environment.
 *
 * - Workers start lazily on the first invoke and stay warm. Module loading (init) is not counted
 *   against the function timeout (like Lambda's init phase); it has its own limit (`initTimeoutMs`).
 * - Concurrency: one worker serves many overlapping invocations (Node is asynchronous). A new
 *   worker is started for an invocation while every worker of the function is busy, up to
 *   `maxWorkersPerFunction` (default 1: one environment per function, the cheapest on memory;
 *   a handler that keeps per-invocation state in module scope would see that sharing, which
 *   Lambda would not show: the SQS consumers' batch processor is per batch for that reason,
 *   lambdas/platform/sqs-batch.ts). Beyond the cap, invocations go to the least busy worker.
 * - Timeout: after `timeoutSeconds` the invocation answers `Sandbox.Timedout` and its worker is
 *   retired: it takes no new invocations and is terminated once its other in-flight invocations
 *   end (or time out); the next invocation starts a fresh worker.
 * - A crash (uncaught exception, unhandled rejection, `process.exit`) fails the worker's
 *   in-flight invocations with `Runtime.ExitError`; the next invocation starts a fresh worker.
 * - Environment: Lambda's own variables (AWS_LAMBDA_FUNCTION_NAME ..., AWS_REGION), then the
 *   function's environment, then `baseEnv` (the local endpoints and credentials) — nothing is
 *   inherited from this process. AWS_EXECUTION_ENV is deliberately not set (it would switch on
 *   X-Ray tracing in Powertools).
 * - Handler stdout/stderr lines are forwarded with a `[functionName]` prefix, appended to
 *   `logFile` when set, or dropped when `quiet`.
 * - An unknown function ref makes `invoke` reject with an error named
 *   `ResourceNotFoundException` (Lambda's Invoke API error), not an `ok: false` result.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ErrorReport, InvokeMessage, WorkerInit, WorkerMessage } from './lambda-worker.js';
import { type FunctionSpec, type InvokeResult, type Invoker, LOCAL_REGION } from './types.js';

export interface LocalLambdaRuntimeOptions {
  /** Added last to every function's environment (local endpoints, region, dummy credentials ...). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Repository root: FunctionSpec.entry is relative to it, and tsx is resolved from it. */
  readonly repoRoot: string;
  /** Append handler output (prefixed lines) to this file instead of this process's stdout/stderr. */
  readonly logFile?: string;
  /** Drop handler output (tests). Ignored when `logFile` is set. */
  readonly quiet?: boolean;
  /** Workers (execution environments) per function; default 1. */
  readonly maxWorkersPerFunction?: number;
  /** How long loading a handler module may take; default 30 000 ms. */
  readonly initTimeoutMs?: number;
  /** Per-function variables added after `baseEnv` (the work meter's per-function DynamoDB endpoint). */
  readonly envFor?: (fn: FunctionSpec) => Readonly<Record<string, string>>;
  /** Called when an invocation ends (result, error or timeout), with its duration from dispatch. */
  readonly onInvocationEnd?: (fn: FunctionSpec, durationMs: number) => void;
}

interface Pending {
  readonly id: number;
  readonly event: string;
  readonly awsRequestId: string;
  readonly invokedFunctionArn: string;
  readonly resolve: (result: InvokeResult) => void;
  dispatched: boolean;
  dispatchedAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  readonly fn: FunctionSpec;
  readonly worker: Worker;
  state: 'starting' | 'ready' | 'retired' | 'dead';
  readonly inflight: Map<number, Pending>;
  initTimer: NodeJS.Timeout | undefined;
  /** The uncaught error that killed the worker, if any. */
  crash: ErrorReport | undefined;
  /** Settles when the init ended (ready, init error or exit). */
  readonly started: Promise<void>;
  readonly markStarted: () => void;
}

const WORKER_ENTRY = path.join(__dirname, 'lambda-worker.ts');

function resourceNotFound(ref: string): Error {
  const err = new Error(`Function not found: ${ref}`);
  err.name = 'ResourceNotFoundException';
  return err;
}

function failure(errorType: string, errorMessage: string, stackTrace: readonly string[] = []): InvokeResult {
  return { ok: false, errorType, errorMessage, stackTrace };
}

function logStreamName(): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

export class LocalLambdaRuntime implements Invoker {
  private readonly byRef = new Map<string, FunctionSpec>();
  /** Live (starting or ready) workers per function logical id. */
  private readonly pools = new Map<string, Slot[]>();
  /** Every worker not yet exited, including retired ones. */
  private readonly slots = new Set<Slot>();
  private readonly tsxLoader: string;
  private readonly maxWorkers: number;
  private readonly initTimeoutMs: number;
  private readonly log: WriteStream | undefined;
  private nextId = 1;
  private closed = false;

  constructor(
    functions: readonly FunctionSpec[],
    private readonly options: LocalLambdaRuntimeOptions,
  ) {
    for (const fn of functions) {
      this.byRef.set(fn.logicalId, fn);
      this.byRef.set(fn.functionName, fn);
      this.byRef.set(fn.arn, fn);
    }
    this.tsxLoader = pathToFileURL(
      createRequire(path.join(options.repoRoot, 'package.json')).resolve('tsx'),
    ).href;
    this.maxWorkers = Math.max(1, options.maxWorkersPerFunction ?? 1);
    this.initTimeoutMs = options.initTimeoutMs ?? 30_000;
    this.log = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
  }

  /** The function a ref names: logical id, function name, ARN, or either with the `:$LATEST` qualifier. */
  resolve(ref: string): FunctionSpec | undefined {
    const direct = this.byRef.get(ref);
    if (direct !== undefined) return direct;
    // Qualified: `name:$LATEST` or `arn:aws:lambda:region:account:function:name:$LATEST`.
    const cut = ref.lastIndexOf(':');
    if (cut > 0 && ref.slice(cut + 1) === '$LATEST') return this.byRef.get(ref.slice(0, cut));
    return undefined;
  }

  invoke(functionRef: string, event: unknown): Promise<InvokeResult> {
    if (this.closed) return Promise.reject(new Error('LocalLambdaRuntime is closed'));
    const fn = this.resolve(functionRef);
    if (fn === undefined) return Promise.reject(resourceNotFound(functionRef));
    let eventJson: string;
    try {
      eventJson = event === undefined ? '{}' : JSON.stringify(event);
    } catch (err) {
      return Promise.reject(
        Object.assign(new Error((err as Error).message), { name: 'InvalidRequestContentException' }),
      );
    }
    return new Promise<InvokeResult>((resolve) => {
      const slot = this.pick(fn);
      const pending: Pending = {
        id: this.nextId++,
        event: eventJson,
        awsRequestId: randomUUID(),
        invokedFunctionArn: functionRef.startsWith('arn:') ? functionRef : fn.arn,
        resolve,
        dispatched: false,
        dispatchedAt: 0,
        timer: undefined,
      };
      slot.inflight.set(pending.id, pending);
      if (slot.state === 'ready') this.dispatch(slot, pending);
    });
  }

  /**
   * Starts (and initialises) one worker for each named function (default: all) that has none, so
   * first invocations do not pay the cold start. Resolves when every init has ended; an init error
   * is not thrown here (the next invoke retries the init and reports it).
   */
  async warmUp(functionRefs?: readonly string[]): Promise<void> {
    if (this.closed) return;
    const specs =
      functionRefs === undefined
        ? [...new Set(this.byRef.values())]
        : functionRefs.map((ref) => {
            const fn = this.resolve(ref);
            if (fn === undefined) throw resourceNotFound(ref);
            return fn;
          });
    await Promise.all(
      specs.map((fn) => {
        const pool = this.pools.get(fn.logicalId) ?? [];
        this.pools.set(fn.logicalId, pool);
        const slot = pool[0] ?? this.start(fn);
        if (pool.length === 0) pool.push(slot);
        return slot.started;
      }),
    );
  }

  /** Terminates every worker; invocations still in flight answer `Runtime.ExitError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exits = [...this.slots].map((slot) => {
      this.failAll(slot, 'Runtime.ExitError', 'local runtime closed');
      return this.terminate(slot);
    });
    await Promise.all(exits);
    this.pools.clear();
    const log = this.log;
    if (log !== undefined) await new Promise<void>((done) => log.end(done));
  }

  private pick(fn: FunctionSpec): Slot {
    const pool = this.pools.get(fn.logicalId) ?? [];
    this.pools.set(fn.logicalId, pool);
    const idle = pool.find((s) => s.inflight.size === 0);
    if (idle !== undefined) return idle;
    if (pool.length < this.maxWorkers) {
      const slot = this.start(fn);
      pool.push(slot);
      return slot;
    }
    return pool.reduce((a, b) => (b.inflight.size < a.inflight.size ? b : a));
  }

  private start(fn: FunctionSpec): Slot {
    const stream = logStreamName();
    const logGroupName = `/aws/lambda/${fn.functionName}`;
    const env: Record<string, string> = {
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: stream,
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      LAMBDA_TASK_ROOT: this.options.repoRoot,
      ...(process.env.PATH === undefined ? {} : { PATH: process.env.PATH }),
      ...fn.environment,
      ...this.options.baseEnv,
      ...this.options.envFor?.(fn),
    };
    const init: WorkerInit = {
      omsLambdaWorker: true,
      entryPath: path.resolve(this.options.repoRoot, fn.entry),
      handlerExport: fn.handlerExport,
      functionName: fn.functionName,
      memoryMb: fn.memoryMb,
      logGroupName,
      logStreamName: stream,
    };
    const worker = new Worker(WORKER_ENTRY, {
      env,
      workerData: init,
      // OMS_WORKER_CPU_PROF=<dir>: each worker writes a V8 CPU profile there when it ends (a
      // diagnostic for local mode's throughput, docs/bench.md).
      execArgv: [
        '--import',
        this.tsxLoader,
        ...(process.env.OMS_WORKER_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.OMS_WORKER_CPU_PROF}`]
          : []),
      ],
      stdout: true,
      stderr: true,
      name: fn.functionName,
    });
    let markStarted = (): void => {};
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const slot: Slot = {
      fn,
      worker,
      state: 'starting',
      inflight: new Map(),
      initTimer: undefined,
      crash: undefined,
      started,
      markStarted,
    };
    this.slots.add(slot);
    this.forward(worker.stdout, fn.functionName, process.stdout);
    this.forward(worker.stderr, fn.functionName, process.stderr);
    slot.initTimer = setTimeout(() => {
      if (slot.state !== 'starting') return;
      slot.markStarted();
      this.failAll(
        slot,
        'Sandbox.Timedout',
        `Init phase timed out after ${this.initTimeoutMs / 1000} seconds`,
      );
      this.retire(slot);
    }, this.initTimeoutMs);
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (err) => {
      slot.crash = {
        errorType: err.name,
        errorMessage: err.message,
        stackTrace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
      };
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        clearTimeout(slot.initTimer);
        slot.markStarted();
        if (slot.state !== 'starting') return;
        slot.state = 'ready';
        for (const pending of slot.inflight.values()) this.dispatch(slot, pending);
        return;
      case 'init-error':
        clearTimeout(slot.initTimer);
        slot.markStarted();
        this.failAll(slot, message.error.errorType, message.error.errorMessage, message.error.stackTrace);
        this.retire(slot);
        return;
      case 'result': {
        const pending = slot.inflight.get(message.id);
        if (pending === undefined) return; // already answered (timed out)
        this.settle(slot, pending);
        if (message.ok) {
          pending.resolve({ ok: true, payload: JSON.parse(message.payload) as unknown });
        } else {
          pending.resolve(
            failure(message.error.errorType, message.error.errorMessage, message.error.stackTrace),
          );
        }
        if (slot.state === 'retired' && slot.inflight.size === 0) void this.terminate(slot);
        return;
      }
    }
  }

  private onExit(slot: Slot, code: number): void {
    clearTimeout(slot.initTimer);
    slot.markStarted();
    slot.state = 'dead';
    this.slots.delete(slot);
    this.removeFromPool(slot);
    for (const pending of [...slot.inflight.values()]) {
      const cause =
        slot.crash === undefined
          ? `exit status ${code}`
          : `${slot.crash.errorType}: ${slot.crash.errorMessage}`;
      this.settle(slot, pending);
      pending.resolve(
        failure(
          'Runtime.ExitError',
          `RequestId: ${pending.awsRequestId} Error: Runtime exited with error: ${cause}`,
          slot.crash?.stackTrace,
        ),
      );
    }
  }

  private dispatch(slot: Slot, pending: Pending): void {
    if (pending.dispatched) return;
    pending.dispatched = true;
    pending.dispatchedAt = performance.now();
    const timeoutMs = slot.fn.timeoutSeconds * 1000;
    pending.timer = setTimeout(() => {
      if (!slot.inflight.has(pending.id)) return;
      this.settle(slot, pending);
      pending.resolve(
        failure(
          'Sandbox.Timedout',
          `${new Date().toISOString()} ${pending.awsRequestId} Task timed out after ${slot.fn.timeoutSeconds.toFixed(2)} seconds`,
        ),
      );
      this.retire(slot);
    }, timeoutMs);
    const message: InvokeMessage = {
      type: 'invoke',
      id: pending.id,
      event: pending.event,
      deadlineMs: Date.now() + timeoutMs,
      awsRequestId: pending.awsRequestId,
      invokedFunctionArn: pending.invokedFunctionArn,
    };
    slot.worker.postMessage(message);
  }

  private settle(slot: Slot, pending: Pending): void {
    clearTimeout(pending.timer);
    if (slot.inflight.delete(pending.id) && pending.dispatched) {
      this.options.onInvocationEnd?.(slot.fn, performance.now() - pending.dispatchedAt);
    }
  }

  private failAll(slot: Slot, errorType: string, errorMessage: string, stackTrace?: readonly string[]): void {
    for (const pending of [...slot.inflight.values()]) {
      this.settle(slot, pending);
      pending.resolve(failure(errorType, errorMessage, stackTrace));
    }
  }

  /** No new invocations; terminated once nothing is in flight. */
  private retire(slot: Slot): void {
    if (slot.state === 'dead') return;
    slot.state = 'retired';
    this.removeFromPool(slot);
    if (slot.inflight.size === 0) void this.terminate(slot);
  }

  private removeFromPool(slot: Slot): void {
    const pool = this.pools.get(slot.fn.logicalId);
    const at = pool?.indexOf(slot) ?? -1;
    if (pool !== undefined && at >= 0) pool.splice(at, 1);
  }

  private async terminate(slot: Slot): Promise<void> {
    if (slot.state === 'dead') return;
    slot.state = 'retired';
    await slot.worker.terminate();
  }

  private forward(stream: Readable, functionName: string, console: NodeJS.WritableStream): void {
    if (this.log === undefined && this.options.quiet === true) {
      stream.resume();
      return;
    }
    let rest = '';
    const write = (line: string): void => {
      const text = `[${functionName}] ${line}\n`;
      if (this.log !== undefined) {
        if (!this.log.writableEnded) this.log.write(text);
      } else {
        console.write(text);
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) write(line);
    });
    stream.on('end', () => {
      if (rest !== '') write(rest);
      rest = '';
    });
  }
}
