/**
 * A FIX session's sequence numbers in DynamoDB (on AWS, where the host's task has no durable
 * disk): one item per session in VENUE_ORDERS_TABLE, `fix-session#<BeginString>-<Sender>-<Target>`,
 * `{senderSeqNum, targetSeqNum, creationTime}`, written on every change (one PutItem per message
 * sent or received) and read at logon.
 *
 * Messages are not kept: the session answers a ResendRequest with gap fills only (fix-session.ts),
 * so `get`/`getRange` have nothing to return.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IFixMsgStoreRecord, IFixSessionStore, IFixSessionStoreFactory, SessionId } from 'jspurefix';

export class DynamoSessionStore implements IFixSessionStore {
  senderSeqNum = 1;
  targetSeqNum = 1;
  private created = new Date();
  /** Writes in order, one at a time; `flush` waits for the last. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly sessionId: SessionId,
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private get key(): string {
    return `fix-session#${this.sessionId.toString()}`;
  }

  get creationTime(): Date {
    return this.created;
  }

  private persist(): Promise<void> {
    const item = {
      orderId: this.key,
      kind: 'fix-session',
      senderSeqNum: this.senderSeqNum,
      targetSeqNum: this.targetSeqNum,
      creationTime: this.created.toISOString(),
    };
    // A failed write does not stop the next (it carries the newer numbers).
    this.chain = this.chain
      .catch(() => undefined)
      .then(() => this.doc.send(new PutCommand({ TableName: this.table, Item: item })))
      .then(() => undefined);
    return this.chain;
  }

  async initialize(): Promise<void> {
    const got = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { orderId: this.key }, ConsistentRead: true }),
    );
    if (got.Item === undefined) {
      await this.persist();
      return;
    }
    this.senderSeqNum = Number(got.Item.senderSeqNum) || 1;
    this.targetSeqNum = Number(got.Item.targetSeqNum) || 1;
    this.created = new Date(String(got.Item.creationTime));
  }

  async put(_record: IFixMsgStoreRecord): Promise<void> {}
  async get(_seqNum: number): Promise<IFixMsgStoreRecord | null> {
    return null;
  }
  async getRange(_from: number, _to: number): Promise<IFixMsgStoreRecord[]> {
    return [];
  }

  async setSenderSeqNum(value: number): Promise<void> {
    this.senderSeqNum = value;
    await this.persist();
  }

  async setTargetSeqNum(value: number): Promise<void> {
    this.targetSeqNum = value;
    await this.persist();
  }

  async nextSenderSeqNum(): Promise<number> {
    this.senderSeqNum++;
    await this.persist();
    return this.senderSeqNum;
  }

  async nextTargetSeqNum(): Promise<number> {
    this.targetSeqNum++;
    await this.persist();
    return this.targetSeqNum;
  }

  async reset(): Promise<void> {
    this.senderSeqNum = 1;
    this.targetSeqNum = 1;
    this.created = new Date();
    await this.persist();
  }

  async flush(): Promise<void> {
    await this.chain;
  }

  async dispose(): Promise<void> {
    await this.chain;
  }
}

export class DynamoSessionStoreFactory implements IFixSessionStoreFactory {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  create(sessionId: SessionId): IFixSessionStore {
    return new DynamoSessionStore(sessionId, this.doc, this.table);
  }
}
