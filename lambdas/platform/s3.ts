/**
 * The S3 client, created once per execution environment (its own module: only the functions that
 * write objects carry it). Endpoint from the SDK's configuration.
 */
import { S3Client } from '@aws-sdk/client-s3';

// Pure: a bundle that imports this module without using the client leaves it out.
export const s3 = /* @__PURE__ */ new S3Client({});
