/**
 * What the Lambda bundles carry in place of `@smithy/core/checksum` (lib/bundling.json `alias`,
 * bundles only: tests and local mode run the SDK as published). Every AWS SDK client's config
 * takes that module's `Sha256` (SigV4's payload hash and signing key): the published one is Node's
 * native hash with a pure-JavaScript SHA-256 beside it, imported for runtimes without `node:crypto`
 * (about 3.3 KB of every bundle; issue 12: bundles <= 400 KB). Lambda's Node has `node:crypto`, so
 * `Sha256` here is the native one alone, with the published class's behaviour (a hash, or an HMAC
 * keyed by the secret: native-sha256.ts, checked against the SDK's in test/platform). The
 * module's other exports (MD5, CRC32, stream hashers: S3's) are the published ones, from their files.
 */
// The published module's other exports, from their files (its index would bring the JavaScript
// SHA-256 back; @smithy/core has no side effects: a bundle keeps only what it uses).
// biome-ignore format: one line, for the directive above it
// @ts-expect-error -- the published JavaScript has no declarations beside it (bundles only)
export { blobHasher, blobReader, Crc32, Crc32Js, Crc32Node, fileStreamHasher, Md5, Md5Js, Md5Node, readableStreamHasher, Sha256Js, Sha256WebCrypto } from '../../node_modules/@smithy/core/dist-es/submodules/checksum/index.js';
export { Sha256, Sha256 as Sha256Node } from './native-sha256.js';
