/**
 * The bundles' stand-in for `@smithy/core/checksum` (lib/bundling.json alias): its `Sha256` hashes
 * and signs as the published one does (SigV4 depends on it), for any input, and keeps its rules
 * (an HMAC is finished by its digest; a reset starts over).
 */
import { Sha256 as Published } from '@smithy/core/checksum';
import fc from 'fast-check';
import { Sha256 } from '../../lambdas/platform/native-sha256.js';

// What the SDK hashes (text, bytes); a key may also be an ArrayBuffer.
const input = fc.oneof(fc.string(), fc.uint8Array());
const key = fc.oneof(
  input,
  fc.uint8Array().map((a) => a.buffer as ArrayBuffer),
);
const hex = async (h: { digest(): Promise<Uint8Array> }) => Buffer.from(await h.digest()).toString('hex');

test('the same digests as the SDK, hashed or keyed (HMAC), over several updates', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.option(key, { nil: undefined }),
      fc.array(input, { maxLength: 4 }),
      async (secret, parts) => {
        const ours = new Sha256(secret);
        const theirs = new Published(secret);
        for (const p of parts) {
          ours.update(p);
          theirs.update(p as never);
        }
        expect(await hex(ours)).toBe(await hex(theirs));
      },
    ),
  );
});

test('a plain hash can be read twice and updated after; an HMAC is finished by its digest; reset starts over', async () => {
  const hash = new Sha256();
  hash.update('a');
  const once = await hex(hash);
  expect(await hex(hash)).toBe(once);
  hash.update('b');
  expect(await hex(hash)).not.toBe(once);
  hash.reset();
  hash.update('a');
  expect(await hex(hash)).toBe(once);

  const hmac = new Sha256('key');
  hmac.update('a');
  await hmac.digest();
  expect(() => hmac.update('b')).toThrow('Attempted to update an already finished hash.');
  hmac.reset();
  hmac.update('a');
  const signed = new Published('key' as never);
  signed.update('a' as never);
  expect(await hex(hmac)).toBe(await hex(signed));
  expect(hmac.digestLength).toBe(32);
});
