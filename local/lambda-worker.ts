/**
 * Worker-thread entry of the local Lambda runtime (`lambda-runtime.ts`): one worker is one
 * execution environment of one function. It loads the handler module once (init), answers
 * `ready` (or `init-error`), then serves `invoke` messages: builds a Lambda-like context, awaits
 * the handler and answers with the JSON-serialised result or the error as Lambda reports it.
 *
 * Loaded by Node with tsx registered through the worker's execArgv (`--import tsx`), so the
 * handler's TypeScript and NodeNext `.js` import suffixes resolve like they do for esbuild.
 * Events and payloads cross the thread boundary as JSON text, as they cross Lambda's API.
 */
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** `workerData` of a function's worker. */
export interface WorkerInit {
  /** Marks a worker started by the local runtime (so importing this module elsewhere is inert). */
  readonly omsLambdaWorker: true;
  /** Absolute path of the handler's source file. */
  readonly entryPath: string;
  readonly handlerExport: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

/** Parent -> worker. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  /** The event as JSON text. */
  readonly event: string;
  /** Epoch ms at which the invocation times out (for `getRemainingTimeInMillis`). */
  readonly deadlineMs: number;
  readonly awsRequestId: string;
  readonly invokedFunctionArn: string;
}

/** How Lambda reports a function error. */
export interface ErrorReport {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace: readonly string[];
}

/** Worker -> parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: ErrorReport }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly payload: string }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: ErrorReport };

/** Lambda's error shape for anything thrown: `name`/`message`/stack lines for errors, the type otherwise. */
export function toErrorReport(err: unknown): ErrorReport {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown };
    return {
      errorType: typeof e.name === 'string' && e.name !== '' ? e.name : 'Error',
      errorMessage: typeof e.message === 'string' ? e.message : String(e.message),
      stackTrace: typeof e.stack === 'string' ? e.stack.split('\n') : [],
    };
  }
  return { errorType: typeof err, errorMessage: String(err), stackTrace: [] };
}

type Handler = (event: unknown, context: unknown) => unknown;

const MODULE_NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

async function loadHandler(init: WorkerInit): Promise<Handler> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(init.entryPath).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && MODULE_NOT_FOUND.has(code)) {
      throw Object.assign(new Error(`Cannot load ${init.entryPath}: ${(err as Error).message}`), {
        name: 'Runtime.ImportModuleError',
      });
    }
    throw err;
  }
  // A CommonJS module imported from ESM exposes its exports as named exports and as `default`.
  const fromDefault = (mod.default as Record<string, unknown> | undefined)?.[init.handlerExport];
  const handler = mod[init.handlerExport] ?? fromDefault;
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${init.entryPath} does not export a function '${init.handlerExport}'`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return handler as Handler;
}

function serialise(result: unknown): string {
  try {
    return JSON.stringify(result ?? null);
  } catch (err) {
    throw Object.assign(new Error(`Unable to stringify response body: ${(err as Error).message}`), {
      name: 'Runtime.MarshalError',
    });
  }
}

function main(): void {
  const port = parentPort;
  const init = workerData as WorkerInit | undefined;
  if (port === null || init?.omsLambdaWorker !== true) return;
  const post = (message: WorkerMessage): void => port.postMessage(message);

  loadHandler(init).then(
    (handler) => {
      port.on('message', (message: InvokeMessage) => {
        const context = {
          callbackWaitsForEmptyEventLoop: true,
          functionName: init.functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: message.invokedFunctionArn,
          memoryLimitInMB: String(init.memoryMb),
          awsRequestId: message.awsRequestId,
          logGroupName: init.logGroupName,
          logStreamName: init.logStreamName,
          getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
        };
        // Promise.resolve().then: a synchronous throw is reported like a rejection.
        Promise.resolve()
          .then(() => handler(JSON.parse(message.event), context))
          .then(serialise)
          .then(
            (payload) => post({ type: 'result', id: message.id, ok: true, payload }),
            (err: unknown) => post({ type: 'result', id: message.id, ok: false, error: toErrorReport(err) }),
          );
      });
      post({ type: 'ready' });
    },
    (err: unknown) => {
      post({ type: 'init-error', error: toErrorReport(err) });
      port.close();
    },
  );
}

if (!isMainThread) main();
