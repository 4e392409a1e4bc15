/** The export's object store on AWS: the audit bucket (Object Lock: its default retention applies). */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from './cat-day.js';

export function s3Store(client: S3Client, bucket: string): ObjectStore {
  return {
    async get(key) {
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await got.Body?.transformToString('utf-8')) ?? '';
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async put(key, text, contentType) {
      // Object Lock requires an integrity checksum on every write: the SDK sends CRC32 by default;
      // the bucket's default retention (COMPLIANCE) locks each version.
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: text,
          ContentType: contentType,
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    },
  };
}
