/**
 * The bundles' stand-in for `@aws-sdk/signature-v4-multi-region` (lib/bundling.json alias; the
 * EventBridge and S3 clients' signer) against the published one: the same requests get the same
 * signatures, with the signer's credentials or given ones, signed or presigned; the signing region
 * `*` (SigV4a, which the OMS never uses and does not install) fails with the SDK's message.
 */
import { SignatureV4MultiRegion as Published } from '@aws-sdk/signature-v4-multi-region';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/transport';
import { NO_SIGV4A, SignatureV4MultiRegion as StandIn } from '../../lambdas/platform/sigv4-one-region.js';

const options = () => ({
  service: 'events',
  region: 'us-east-1',
  sha256: Sha256,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
  runtime: 'node',
});
const given = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'other', sessionToken: 'express-session' };
const signingDate = new Date('2026-12-05T12:00:00Z');

const request = () =>
  new HttpRequest({
    method: 'POST',
    protocol: 'https:',
    hostname: 'events.us-east-1.amazonaws.com',
    path: '/',
    query: { a: 'b' },
    headers: {
      host: 'events.us-east-1.amazonaws.com',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
    },
    body: '{"Entries":[]}',
  });

type Signer = Published | StandIn;
const uses: [string, (s: Signer) => Promise<unknown>][] = [
  ['sign', (s) => s.sign(request(), { signingDate })],
  ['signWithCredentials', (s) => s.signWithCredentials(request(), given, { signingDate })],
  ['presign', (s) => s.presign(request(), { signingDate, expiresIn: 300 })],
  [
    'presignWithCredentials',
    (s) => s.presignWithCredentials(request(), given, { signingDate, expiresIn: 300 }),
  ],
];

test.each(uses)("%s gives the published signer's request", async (_name, use) => {
  // biome-ignore lint/suspicious/noExplicitAny: the published constructor's options type is wider
  const published = await use(new Published(options() as any));
  const standIn = await use(new StandIn(options()));
  expect(standIn).toEqual(published);
  expect(JSON.stringify(standIn)).toMatch(/Signature/i);
});

test.each([
  ['sign', (s: Signer) => s.sign(request(), { signingRegion: '*' })],
  ['signWithCredentials', (s: Signer) => s.signWithCredentials(request(), given, { signingRegion: '*' })],
  ['presign', (s: Signer) => s.presign(request(), { signingRegion: '*' })],
])('%s for the signing region * (SigV4a) fails as the published one does here', async (_name, use) => {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  await expect(use(new Published(options() as any))).rejects.toThrow(NO_SIGV4A);
  await expect(use(new StandIn(options()))).rejects.toThrow(NO_SIGV4A);
});
