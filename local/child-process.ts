/**
 * Long-running helper processes (DynamoDB Local's JVM) that must never outlive the OMS process.
 *
 * The command runs under a tiny POSIX shell watchdog whose standard input is a pipe from this
 * process. Only this process holds the pipe's write end, so when it goes away for any reason
 * (normal exit, an uncaught exception, SIGKILL, an OOM kill) the kernel closes it, the watchdog
 * reads end-of-file and terminates the command (SIGTERM, then SIGKILL after a grace period).
 * `stop()` closes the pipe on purpose and waits until the command is gone.
 *
 * The watchdog runs in its own session, so a terminal's Ctrl-C reaches only this process, which
 * then shuts down in order (stopping the helper last) instead of the helper dying under it.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * `$1` = grace seconds, the rest = the command. Prints the command's pid on the first stdout line,
 * sends the command's own stdout/stderr to stderr, and exits with the command's status.
 */
const WATCHDOG = `
grace="$1"; shift
"$@" </dev/null >&2 &
child=$!
echo "$child"
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
exec 3<&0
( while read -r _ <&3; do :; done; kill -TERM "$child" 2>/dev/null; sleep "$grace"; kill -KILL "$child" 2>/dev/null ) &
reader=$!
wait "$child"; status=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
kill "$reader" 2>/dev/null
exit "$status"
`;

export interface WatchedProcessOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds between SIGTERM and SIGKILL when the watchdog stops the command (default 3). */
  readonly graceSeconds?: number;
  /** How many characters of the command's output to keep for error messages (default 64 KiB). */
  readonly outputLimit?: number;
  /** How the watchdog shell is started (tests pass a stand-in to order its events); `spawn` by default. */
  readonly spawnShell?: (shell: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WatchedProcess {
  /** The command's own pid (not the watchdog's). */
  readonly pid: number;
  readonly watchdogPid: number;
  /** Settles when the watchdog (and so the command) has exited. */
  readonly exited: Promise<ProcessExit>;
  /** The last `outputLimit` characters the command wrote to stdout/stderr. */
  output(): string;
  /** Terminates the command and waits until it is gone (idempotent). */
  stop(): Promise<void>;
}

/**
 * True while a process with this pid exists and has a live thread. (A multi-threaded process whose
 * main thread has exited shows its leader as a zombie while the other threads still run: the
 * threads are checked one by one.)
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => {
    try {
      // "tid (comm) S ...": comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state !== 'Z' && state !== 'X' && state !== '';
    } catch {
      return false;
    }
  });
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Starts `command args` under the watchdog; resolves once the command has been started. */
export function spawnWatched(
  command: string,
  args: readonly string[],
  options: WatchedProcessOptions = {},
): Promise<WatchedProcess> {
  const grace = options.graceSeconds ?? 3;
  const limit = options.outputLimit ?? 64 * 1024;
  const watchdog: ChildProcess = (options.spawnShell ?? spawn)(
    '/bin/sh',
    ['-c', WATCHDOG, 'oms-watchdog', String(grace), command, ...args],
    {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  watchdog.stderr?.setEncoding('utf8');
  watchdog.stderr?.on('data', (chunk: string) => {
    output = (output + chunk).slice(-limit);
  });
  // A write to the pipe after the watchdog died must not crash this process.
  watchdog.stdin?.on('error', () => {});

  const exited = new Promise<ProcessExit>((resolve) => {
    watchdog.once('exit', (code, signal) => resolve({ code, signal }));
    watchdog.once('error', () => resolve({ code: null, signal: null }));
  });

  return new Promise<WatchedProcess>((resolve, reject) => {
    let stdout = '';
    const onData = (chunk: string): void => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      watchdog.stdout?.off('data', onData);
      const pid = Number(stdout.slice(0, newline).trim());
      if (!Number.isInteger(pid) || pid <= 0 || watchdog.pid === undefined) {
        reject(new Error(`watchdog for ${command} printed no pid: ${JSON.stringify(stdout)}`));
        return;
      }
      const watchdogPid = watchdog.pid;
      // Neither the watchdog nor its pipes keep this process alive: when it exits on its own, the
      // pipe closes and the watchdog stops the command.
      watchdog.unref();
      for (const stream of [watchdog.stdin, watchdog.stdout, watchdog.stderr]) {
        (stream as unknown as { unref?: () => void } | null)?.unref?.();
      }
      let stopping: Promise<void> | null = null;
      resolve({
        pid,
        watchdogPid,
        exited,
        output: () => output,
        stop: () => {
          stopping ??= (async () => {
            watchdog.stdin?.end();
            const timeout = new Promise<'timeout'>((done) => {
              const timer = setTimeout(() => done('timeout'), (grace + 2) * 1000);
              exited.then(() => clearTimeout(timer));
            });
            if ((await Promise.race([exited, timeout])) === 'timeout') {
              killQuietly(pid, 'SIGKILL');
              killQuietly(watchdogPid, 'SIGKILL');
              await exited;
            }
          })();
          return stopping;
        },
      });
    };
    watchdog.stdout?.setEncoding('utf8');
    watchdog.stdout?.on('data', onData);
    watchdog.once('error', reject);
    // Only once stdout is closed: Node may emit 'exit' before the pid line still in the pipe is read
    // (a quickly failing command, a busy machine), which is not a failure to start.
    const stdoutClosed = new Promise<void>((done) => {
      if (watchdog.stdout === null) done();
      else watchdog.stdout.once('close', () => done());
    });
    Promise.all([exited, stdoutClosed]).then(([{ code, signal }]) => {
      if (!stdout.includes('\n')) {
        reject(new Error(`${command} did not start (exit ${code ?? signal}): ${output.trim()}`));
      }
    });
  });
}
