/**
 * The SQS stand-in of local mode: standard queues from the template (QueueSpec) with visibility
 * timeouts, receive counts, redrive to the dead-letter queue and retention, plus Lambda's SQS event
 * source mapping (polling, batch size and batching window, partial batch failures).
 *
 * Semantics kept from SQS / Lambda:
 * - A received message is invisible for the visibility timeout; deleting needs the receipt handle
 *   of its latest receive (an older handle deletes nothing).
 * - Redrive: a message received `maxReceiveCount` times is moved to the dead-letter queue on the
 *   next receive attempt (same message id, body, attributes and SentTimestamp; its receive count
 *   starts again at 0 there; records from it carry `DeadLetterQueueSourceArn`).
 * - Retention: a message older than `messageRetentionSeconds` (from its first SentTimestamp)
 *   disappears, also from a dead-letter queue.
 * - Event source mapping: batches up to `batchSize`, waiting up to `maximumBatchingWindowSeconds`
 *   for a batch to fill; success deletes the batch; with `reportBatchItemFailures`, the function's
 *   `{batchItemFailures: [{itemIdentifier}]}` keeps only those messages (an unknown or empty
 *   identifier fails the whole batch, like Lambda); a function error deletes nothing. Up to
 *   `concurrency` batches (default 5, Lambda's initial pollers) are in flight per mapping.
 *
 * Local deviations (documented on purpose):
 * - `visibilityTimeoutScale` multiplies every visibility timeout (the queue's and explicit ones):
 *   0.05 makes the 60 s wait before a failed message's retry 3 s. Retention is not scaled.
 * - For messages taken by an event source mapping, the visibility timeout starts when the
 *   invocation ends, not at receive: a batch stays invisible while its function runs, so a scaled
 *   timeout shorter than the function's run time never delivers the same message twice at once.
 * - Pollers are woken by sends and by timers at the next visibility expiry, instead of long polls.
 * - Order: receives hand out the oldest visible messages first, and a received message goes to the
 *   back, so repeated receives that leave messages visible walk the whole queue (SQS's sampling
 *   does the same, at random).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SQSMessageAttribute, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import {
  type EventSourceMappingSpec,
  type InvokeResult,
  type Invoker,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type QueueSpec,
} from './types.js';

/** SQS's maximum message size (1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface LocalQueuesOptions {
  /** Multiplies every visibility timeout (default 1). Local mode uses e.g. 0.05. */
  readonly visibilityTimeoutScale?: number;
  /** Clock in epoch ms (default `Date.now`); tests of queue semantics inject a fake one. */
  readonly now?: () => number;
  /** Called for every message sent (the work meter). */
  readonly onSend?: (queueName: string) => void;
}

export interface SendOptions {
  /** Seconds before the message becomes visible (not scaled). */
  readonly delaySeconds?: number;
  /** `SenderId` attribute; default the local account id. */
  readonly senderId?: string;
}

export interface ReceiveOptions {
  /** Default 1. */
  readonly maxNumberOfMessages?: number;
  /** Default the queue's visibility timeout; scaled by `visibilityTimeoutScale`. */
  readonly visibilityTimeoutSeconds?: number;
}

/** A received message, in the SQSRecord's field names. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly md5OfMessageAttributes: string | null;
  readonly attributes: SQSRecordAttributes;
  readonly messageAttributes: SQSMessageAttributes;
}

/** A message move task (StartMessageMoveTask): local ones run to the end at once. */
export interface MessageMoveTask {
  readonly taskHandle: string;
  readonly sourceArn: string;
  readonly destinationArn: string | null;
  readonly status: 'COMPLETED' | 'FAILED';
  readonly approximateNumberOfMessagesToMove: number;
  readonly approximateNumberOfMessagesMoved: number;
  readonly failureReason: string | null;
  readonly startedTimestamp: number;
}

/** A message as `messages()` shows it (inspection). */
export interface QueueMessageView {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: SQSMessageAttributes;
  readonly sentTimestamp: number;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp: number | null;
  readonly visible: boolean;
  /** Set on messages a redrive moved here. */
  readonly deadLetterQueueSourceArn: string | null;
}

export interface EventSourceMappingOptions {
  /** Batches in flight per mapping (default 5). */
  readonly concurrency?: number;
  /** EventBridge pattern matcher for mappings with filter criteria (`event-pattern.ts` matchesPattern). */
  readonly matchesPattern?: (pattern: unknown, event: unknown) => boolean;
  /** Called when invoking throws (unknown function, closed runtime): the batch is retried later. */
  readonly onError?: (mappingLogicalId: string, err: unknown) => void;
}

export interface EventSourceMappingHandle {
  /** Stops polling; resolves when the batches in flight have settled. */
  stop(): Promise<void>;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: SQSMessageAttributes;
  readonly md5OfMessageAttributes: string | null;
  readonly sentTimestamp: number;
  readonly senderId: string;
  readonly deadLetterQueueSourceArn: string | null;
  receiveCount: number;
  firstReceiveTimestamp: number | null;
  visibleAt: number;
  receiptHandle: string | null;
}

function serviceError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** SQS's MD5 of message attributes: names sorted; length-prefixed name, type, transport byte, value. */
export function md5OfMessageAttributes(attributes: SQSMessageAttributes): string | null {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return null;
  const parts: Buffer[] = [];
  const prefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const attribute = attributes[name] as SQSMessageAttributes[string];
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(attribute.dataType, 'utf8'));
    if (attribute.binaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      prefixed(Buffer.from(attribute.binaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      prefixed(Buffer.from(attribute.stringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

class Queue {
  /** Insertion order: receives are roughly FIFO (standard queues promise no order). */
  readonly messages = new Map<string, StoredMessage>();
  readonly handles = new Map<string, StoredMessage>();
  readonly listeners = new Set<() => void>();

  constructor(
    readonly spec: QueueSpec,
    private readonly scale: number,
  ) {}

  visibilityMs(seconds: number = this.spec.visibilityTimeoutSeconds): number {
    return Math.max(0, seconds * this.scale * 1000);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  add(message: StoredMessage): void {
    this.messages.set(message.messageId, message);
    this.notify();
  }

  remove(message: StoredMessage): void {
    this.messages.delete(message.messageId);
    if (message.receiptHandle !== null) this.handles.delete(message.receiptHandle);
  }

  expire(now: number): void {
    const retentionMs = this.spec.messageRetentionSeconds * 1000;
    for (const message of [...this.messages.values()]) {
      if (message.sentTimestamp + retentionMs <= now) this.remove(message);
    }
  }

  /** Visible messages, oldest first, without receiving them. */
  visible(now: number): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.visibleAt <= now);
  }

  nextVisibleAt(now: number): number | null {
    let next: number | null = null;
    for (const m of this.messages.values()) {
      if (m.visibleAt > now && Number.isFinite(m.visibleAt) && (next === null || m.visibleAt < next)) {
        next = m.visibleAt;
      }
    }
    return next;
  }

  receiveOne(message: StoredMessage, now: number, invisibleForMs: number): ReceivedMessage {
    if (message.receiptHandle !== null) this.handles.delete(message.receiptHandle);
    // A received message goes behind the others. SQS samples its servers, so receives that leave
    // messages visible (VisibilityTimeout 0, the exceptions view's peek) see the rest of the queue;
    // handing out the same oldest ten every time would hide every later dead letter behind them.
    this.messages.delete(message.messageId);
    this.messages.set(message.messageId, message);
    message.receiveCount += 1;
    message.firstReceiveTimestamp ??= now;
    message.visibleAt = now + invisibleForMs;
    const receiptHandle = `${message.messageId}#${randomBytes(12).toString('base64url')}`;
    message.receiptHandle = receiptHandle;
    this.handles.set(receiptHandle, message);
    const attributes: SQSRecordAttributes = {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: message.senderId,
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
      ...(message.deadLetterQueueSourceArn === null
        ? {}
        : { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }),
    };
    return {
      messageId: message.messageId,
      receiptHandle,
      body: message.body,
      md5OfBody: message.md5OfBody,
      md5OfMessageAttributes: message.md5OfMessageAttributes,
      attributes,
      messageAttributes: structuredClone(message.messageAttributes),
    };
  }
}

export class LocalQueues {
  private readonly byRef = new Map<string, Queue>();
  private readonly byLogicalId = new Map<string, Queue>();
  private readonly now: () => number;
  private readonly scale: number;
  private readonly mappings = new Set<SqsPoller>();
  private readonly onSend: ((queue: string) => void) | undefined;
  /** Move tasks per source queue logical id, newest first. */
  private readonly moveTasks = new Map<string, MessageMoveTask[]>();

  constructor(queues: readonly QueueSpec[], options: LocalQueuesOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onSend = options.onSend;
    this.scale = options.visibilityTimeoutScale ?? 1;
    if (!(this.scale >= 0)) throw new Error(`visibilityTimeoutScale must be >= 0, got ${this.scale}`);
    for (const spec of queues) {
      const queue = new Queue(spec, this.scale);
      this.byLogicalId.set(spec.logicalId, queue);
      for (const ref of [spec.logicalId, spec.queueName, spec.arn, spec.url]) this.byRef.set(ref, queue);
    }
    for (const spec of queues) {
      const dlq = spec.redrive?.deadLetterQueueLogicalId;
      if (dlq !== undefined && !this.byLogicalId.has(dlq)) {
        throw new Error(`queue ${spec.logicalId}: dead-letter queue ${dlq} is not in the topology`);
      }
    }
  }

  /** The queue a ref names (logical id, name, ARN or URL). */
  resolve(queueRef: string): QueueSpec | undefined {
    return this.byRef.get(queueRef)?.spec;
  }

  /**
   * SendMessage. Message attributes in SQS's shape, or plain strings (`{dataType: 'String'}`).
   * Returns the new message's id and body MD5.
   */
  send(
    queueRef: string,
    body: string,
    attributes: Readonly<Record<string, string | SQSMessageAttribute>> = {},
    options: SendOptions = {},
  ): { messageId: string; md5OfBody: string } {
    const queue = this.queue(queueRef);
    const messageAttributes: SQSMessageAttributes = {};
    for (const [name, value] of Object.entries(attributes)) {
      messageAttributes[name] =
        typeof value === 'string' ? { dataType: 'String', stringValue: value } : value;
    }
    const size = Buffer.byteLength(body, 'utf8');
    if (size === 0 || size > MAX_MESSAGE_BYTES) {
      throw serviceError(
        'InvalidParameterValue',
        `message body must be 1..${MAX_MESSAGE_BYTES} bytes, got ${size}`,
      );
    }
    const now = this.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      messageAttributes: structuredClone(messageAttributes),
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
      sentTimestamp: now,
      senderId: options.senderId ?? LOCAL_ACCOUNT_ID,
      deadLetterQueueSourceArn: null,
      receiveCount: 0,
      firstReceiveTimestamp: null,
      visibleAt: now + Math.max(0, options.delaySeconds ?? 0) * 1000,
      receiptHandle: null,
    };
    queue.add(message);
    this.onSend?.(queue.spec.logicalId);
    return { messageId: message.messageId, md5OfBody: message.md5OfBody };
  }

  /** ReceiveMessage: visible messages, redriving those that used up their receives. */
  receive(queueRef: string, options: ReceiveOptions = {}): ReceivedMessage[] {
    const queue = this.queue(queueRef);
    const max = options.maxNumberOfMessages ?? 1;
    return this.take(queue, max, queue.visibilityMs(options.visibilityTimeoutSeconds));
  }

  /** DeleteMessage: true when the handle is the message's latest receipt handle. */
  deleteMessage(queueRef: string, receiptHandle: string): boolean {
    const queue = this.queue(queueRef);
    const message = queue.handles.get(receiptHandle);
    if (message === undefined || message.receiptHandle !== receiptHandle) return false;
    queue.remove(message);
    return true;
  }

  /** ChangeMessageVisibility (scaled like every visibility timeout). */
  changeMessageVisibility(queueRef: string, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const queue = this.queue(queueRef);
    const message = queue.handles.get(receiptHandle);
    if (message === undefined) {
      throw serviceError('ReceiptHandleIsInvalid', `receipt handle ${receiptHandle} is not current`);
    }
    message.visibleAt = this.now() + queue.visibilityMs(visibilityTimeoutSeconds);
    queue.notify();
  }

  purge(queueRef: string): void {
    const queue = this.queue(queueRef);
    for (const message of [...queue.messages.values()]) queue.remove(message);
  }

  /** Every message the queue holds now (visible or in flight), oldest first. */
  messages(queueRef: string): QueueMessageView[] {
    const queue = this.queue(queueRef);
    const now = this.now();
    queue.expire(now);
    return [...queue.messages.values()].map((m) => ({
      messageId: m.messageId,
      body: m.body,
      messageAttributes: structuredClone(m.messageAttributes),
      sentTimestamp: m.sentTimestamp,
      receiveCount: m.receiveCount,
      firstReceiveTimestamp: m.firstReceiveTimestamp,
      visible: m.visibleAt <= now,
      deadLetterQueueSourceArn: m.deadLetterQueueSourceArn,
    }));
  }

  /** The queue's ARN and message counts (GetQueueAttributes). */
  attributes(queueRef: string): { spec: QueueSpec; visible: number; notVisible: number } {
    const queue = this.queue(queueRef);
    const now = this.now();
    queue.expire(now);
    let visible = 0;
    for (const m of queue.messages.values()) if (m.visibleAt <= now) visible += 1;
    return { spec: queue.spec, visible, notVisible: queue.messages.size - visible };
  }

  /** The queues whose redrive policy names this one (empty: not a dead-letter queue). */
  sourcesOf(queueRef: string): QueueSpec[] {
    const target = this.queue(queueRef).spec.logicalId;
    return [...this.byLogicalId.values()]
      .filter((q) => q.spec.redrive?.deadLetterQueueLogicalId === target)
      .map((q) => q.spec);
  }

  /**
   * StartMessageMoveTask: the visible messages of a dead-letter queue go back to `destination`,
   * or each to the queue it was dead-lettered from (a message without one, e.g. one a bus rule
   * could not deliver, stays, and the task ends FAILED like SQS's). Same message id and body;
   * receive count 0. Local tasks complete at once. Throws `UnsupportedOperation` for a queue that
   * is no queue's dead-letter queue, or `ResourceNotFoundException` for an unknown one.
   */
  startMessageMoveTask(sourceRef: string, destinationRef?: string): MessageMoveTask {
    const source = this.byRef.get(sourceRef);
    if (source === undefined)
      throw serviceError(
        'ResourceNotFoundException',
        `The resource that you specified for the SourceArn parameter doesn't exist: ${sourceRef}`,
      );
    if (this.sourcesOf(sourceRef).length === 0)
      throw serviceError(
        'UnsupportedOperation',
        `Source queue must be configured as a Dead Letter Queue: ${source.spec.arn}`,
      );
    const destination = destinationRef === undefined ? undefined : this.byRef.get(destinationRef);
    if (destinationRef !== undefined && destination === undefined)
      throw serviceError(
        'ResourceNotFoundException',
        `The resource that you specified for the DestinationArn parameter doesn't exist: ${destinationRef}`,
      );
    const now = this.now();
    source.expire(now);
    const candidates = source.visible(now);
    let moved = 0;
    let stranded = 0;
    for (const message of candidates) {
      const to =
        destination ??
        (message.deadLetterQueueSourceArn === null
          ? undefined
          : this.byRef.get(message.deadLetterQueueSourceArn));
      if (to === undefined) {
        stranded += 1;
        continue;
      }
      source.remove(message);
      to.add({
        ...message,
        deadLetterQueueSourceArn: null,
        receiveCount: 0,
        firstReceiveTimestamp: null,
        visibleAt: now,
        receiptHandle: null,
      });
      this.onSend?.(to.spec.logicalId);
      moved += 1;
    }
    const task: MessageMoveTask = {
      taskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: source.spec.arn })).toString(
        'base64',
      ),
      sourceArn: source.spec.arn,
      destinationArn: destination?.spec.arn ?? null,
      status: stranded === 0 ? 'COMPLETED' : 'FAILED',
      approximateNumberOfMessagesToMove: candidates.length,
      approximateNumberOfMessagesMoved: moved,
      failureReason:
        stranded === 0
          ? null
          : `${stranded} message(s) have no source queue to go back to (not dead-lettered by an SQS queue)`,
      startedTimestamp: now,
    };
    const tasks = this.moveTasks.get(source.spec.logicalId) ?? [];
    tasks.unshift(task);
    this.moveTasks.set(source.spec.logicalId, tasks.slice(0, 10));
    return task;
  }

  /** ListMessageMoveTasks: the queue's latest tasks, newest first. */
  listMessageMoveTasks(sourceRef: string): MessageMoveTask[] {
    const source = this.byRef.get(sourceRef);
    if (source === undefined)
      throw serviceError(
        'ResourceNotFoundException',
        `The resource that you specified for the SourceArn parameter doesn't exist: ${sourceRef}`,
      );
    return [...(this.moveTasks.get(source.spec.logicalId) ?? [])];
  }

  /**
   * Lambda's SQS event source mappings: one poller per mapping with an `sqs` source (others are
   * ignored, so the topology's whole list may be passed).
   */
  startEventSourceMappings(
    mappings: readonly EventSourceMappingSpec[],
    invoker: Invoker,
    options: EventSourceMappingOptions = {},
  ): EventSourceMappingHandle {
    const pollers: SqsPoller[] = [];
    for (const esm of mappings) {
      if (esm.source.kind !== 'sqs') continue;
      const queue = this.byLogicalId.get(esm.source.queueLogicalId);
      if (queue === undefined)
        throw new Error(`mapping ${esm.logicalId}: queue ${esm.source.queueLogicalId} is unknown`);
      if (esm.filters.length > 0 && options.matchesPattern === undefined) {
        throw new Error(`mapping ${esm.logicalId} has filter criteria: pass options.matchesPattern`);
      }
      pollers.push(new SqsPoller(this, queue, esm, invoker, options));
    }
    for (const poller of pollers) {
      this.mappings.add(poller);
      poller.start();
    }
    return {
      stop: async () => {
        await Promise.all(pollers.map((p) => p.stop()));
        for (const poller of pollers) this.mappings.delete(poller);
      },
    };
  }

  /**
   * Stops every poller; resolves when their batches in flight have settled (close the Lambda
   * runtime first or concurrently, so in-flight invocations end promptly).
   */
  async close(): Promise<void> {
    const pollers = [...this.mappings];
    this.mappings.clear();
    await Promise.all(pollers.map((p) => p.stop()));
  }

  /** @internal the poller's view. */
  clock(): number {
    return this.now();
  }

  /** @internal Receives up to `max` visible messages; redrives and expires on the way. */
  take(queue: Queue, max: number, invisibleForMs: number, now: number = this.now()): ReceivedMessage[] {
    queue.expire(now);
    const out: ReceivedMessage[] = [];
    for (const message of queue.visible(now)) {
      if (out.length >= max) break;
      if (this.redriveIfExhausted(queue, message)) continue;
      out.push(queue.receiveOne(message, now, invisibleForMs));
    }
    return out;
  }

  /** @internal Count of visible messages after redrive and expiry. */
  visibleCount(queue: Queue, now: number = this.now()): number {
    queue.expire(now);
    let count = 0;
    for (const message of queue.visible(now)) {
      if (!this.redriveIfExhausted(queue, message)) count += 1;
    }
    return count;
  }

  private redriveIfExhausted(queue: Queue, message: StoredMessage): boolean {
    const redrive = queue.spec.redrive;
    if (redrive === null || message.receiveCount < redrive.maxReceiveCount) return false;
    const dlq = this.byLogicalId.get(redrive.deadLetterQueueLogicalId) as Queue;
    queue.remove(message);
    dlq.add({
      ...message,
      deadLetterQueueSourceArn: queue.spec.arn,
      receiveCount: 0,
      firstReceiveTimestamp: null,
      visibleAt: this.now(),
      receiptHandle: null,
    });
    return true;
  }

  private queue(queueRef: string): Queue {
    const queue = this.byRef.get(queueRef);
    if (queue === undefined) {
      throw serviceError(
        'AWS.SimpleQueueService.NonExistentQueue',
        `The specified queue does not exist: ${queueRef}`,
      );
    }
    return queue;
  }
}

/** Message ids the function asked to keep (not delete); every id when the batch as a whole failed. */
export function failedMessageIds(
  result: InvokeResult | undefined,
  batchIds: readonly string[],
  reportBatchItemFailures: boolean,
): Set<string> {
  const all = new Set(batchIds);
  if (result === undefined || !result.ok) return all;
  if (!reportBatchItemFailures) return new Set();
  const payload = result.payload;
  if (payload === null || payload === undefined) return new Set();
  if (typeof payload !== 'object' || Array.isArray(payload)) return all;
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

function filterView(record: SQSRecord): unknown {
  let body: unknown = record.body;
  try {
    const parsed: unknown = JSON.parse(record.body);
    if (typeof parsed === 'object' && parsed !== null) body = parsed;
  } catch {
    // a plain-text body is matched as a string
  }
  return { ...record, body };
}

class SqsPoller {
  private readonly windowMs: number;
  private readonly concurrency: number;
  private readonly running = new Set<Promise<void>>();
  private windowStart: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  private readonly wake = (): void => {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  };

  constructor(
    private readonly queues: LocalQueues,
    private readonly queue: Queue,
    private readonly esm: EventSourceMappingSpec,
    private readonly invoker: Invoker,
    private readonly options: EventSourceMappingOptions,
  ) {
    this.windowMs = esm.maximumBatchingWindowSeconds * 1000;
    this.concurrency = Math.max(1, options.concurrency ?? 5);
  }

  start(): void {
    this.queue.listeners.add(this.wake);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.queue.listeners.delete(this.wake);
    await Promise.all([...this.running]);
  }

  private tick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    let wakeAt: number | null = null;
    // One instant per look: a message that becomes visible between reading the clock twice would
    // be neither taken (not yet visible) nor waited for (no longer in the future), and the poller
    // would sleep until the next send.
    let now = this.queues.clock();
    while (this.running.size < this.concurrency) {
      now = this.queues.clock();
      const visible = this.queues.visibleCount(this.queue, now);
      if (visible === 0) {
        this.windowStart = null;
        break;
      }
      if (this.windowMs > 0 && visible < this.esm.batchSize) {
        this.windowStart ??= now;
        if (now - this.windowStart < this.windowMs) {
          wakeAt = this.windowStart + this.windowMs;
          break;
        }
      }
      this.windowStart = null;
      // Invisible while the function runs; the visibility timeout starts when it ends.
      const batch = this.queues.take(this.queue, this.esm.batchSize, Number.POSITIVE_INFINITY, now);
      if (batch.length === 0) break;
      const run = this.run(batch).finally(() => {
        this.running.delete(run);
        this.wake();
      });
      this.running.add(run);
    }
    const nextVisible = this.queue.nextVisibleAt(now);
    if (nextVisible !== null && (wakeAt === null || nextVisible < wakeAt)) wakeAt = nextVisible;
    if (wakeAt !== null) this.timer = setTimeout(this.wake, Math.max(0, wakeAt - now));
  }

  private async run(batch: readonly ReceivedMessage[]): Promise<void> {
    const records: SQSRecord[] = batch.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: m.attributes,
      messageAttributes: m.messageAttributes,
      md5OfBody: m.md5OfBody,
      ...(m.md5OfMessageAttributes === null ? {} : { md5OfMessageAttributes: m.md5OfMessageAttributes }),
      eventSource: 'aws:sqs',
      eventSourceARN: this.queue.spec.arn,
      awsRegion: LOCAL_REGION,
    }));
    const matcher = this.options.matchesPattern;
    const delivered =
      this.esm.filters.length === 0 || matcher === undefined
        ? records
        : records.filter((r) => this.esm.filters.some((pattern) => matcher(pattern, filterView(r))));
    const queueArn = this.queue.spec.arn;
    // Lambda deletes messages its filters drop.
    for (const record of records) {
      if (!delivered.includes(record)) this.queues.deleteMessage(queueArn, record.receiptHandle);
    }
    if (delivered.length === 0) return;
    let result: InvokeResult | undefined;
    try {
      result = await this.invoker.invoke(this.esm.functionLogicalId, { Records: delivered });
    } catch (err) {
      this.options.onError?.(this.esm.logicalId, err);
    }
    const failed = failedMessageIds(
      result,
      delivered.map((r) => r.messageId),
      this.esm.reportBatchItemFailures,
    );
    // The failed ones become visible together, one visibility timeout after the invocation ended.
    const visibleAt = this.queues.clock() + this.queue.visibilityMs();
    for (const record of delivered) {
      if (!failed.has(record.messageId)) {
        this.queues.deleteMessage(queueArn, record.receiptHandle);
        continue;
      }
      const message = this.queue.handles.get(record.receiptHandle);
      if (message !== undefined) message.visibleAt = visibleAt;
    }
    this.queue.notify();
  }
}
