/**
 * SHA-256 as the AWS SDK's `Checksum` (`@smithy/core/checksum`'s `Sha256`), on `node:crypto`
 * alone: the Lambda bundles' stand-in (native-checksums.ts). test/platform/native-checksums.test.ts
 * checks it against the published one.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytesOf = (data: SourceData): string | Buffer =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** The SDK's `Checksum` for SHA-256 (an HMAC when constructed with a secret). */
export class Sha256 {
  readonly digestLength = 32;
  private hash: Hash | Hmac;
  private finished = false;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  update(data: SourceData): void {
    if (this.finished) throw new Error('Attempted to update an already finished hash.');
    this.hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    // An HMAC cannot be copied: it is finished by its digest (as the SDK's).
    if (this.secret) this.finished = true;
    const buf = this.secret ? this.hash.digest() : (this.hash as Hash).copy().digest();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  reset(): void {
    this.hash = this.create();
    this.finished = false;
  }

  private create(): Hash | Hmac {
    return this.secret ? createHmac('sha256', bytesOf(this.secret)) : createHash('sha256');
  }
}
