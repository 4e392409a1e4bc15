/**
 * The S3 client, created once per execution environment (its own module: only the functions that
 * write objects carry it). Endpoint from the SDK's configuration.
 */
import { S3Client } from '@aws-sdk/client-s3';

export const s3 = new S3Client({});
