/**
 * zod's English messages for `zod/mini`, its parse-or-throw as classic zod throws it, and a
 * bundle-friendly `z.catch` (`catchAs`).
 *
 * Lambda code uses `zod/mini` (functional checks, `z.optional(x)`) rather than classic zod, whose
 * schemas carry every chained method: 60 to 65 KB less in each bundle (issue 12: bundles <= 400 KB).
 * Classic zod loads its English locale when its first schema is built; `zod/mini` loads none,
 * and its issues would read "Invalid input". Issue messages reach API responses (an order
 * request's field errors), workflow errors (`malformed payload: ...`), events and logs, so this
 * module configures the same English locale once, when it is loaded: every module that parses
 * with zod and lets a message out imports it. (The locale is ~3 KB of a bundle.)
 */

import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { _catch } from 'zod/v4/core';

z.config(en());

/**
 * `schema.parse(data)` as classic zod did it: the same error (its message the issues as JSON),
 * named `ZodError` as before (zod/mini's is `$ZodError`), since the name reaches logs, the
 * Lambda's error type and so a workflow's recorded exception.
 */
export function parseOrThrow<T extends z.ZodMiniType>(schema: T, data: unknown): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  result.error.name = 'ZodError';
  throw result.error;
}

/**
 * `z.catch(schema, value)` with a constant `value`: the same schema (a `ZodMiniCatch` holding zod's
 * tagged constant thunk), built by zod core's `_catch`, the function `z.catch` mirrors. zod/mini's
 * `z.catch` reaches that thunk through a nested namespace (`core.util.constantCatch`), so a bundle
 * using it once keeps every export of zod's util module: about 9 KB of each Lambda bundle (issue
 * 12). Lambda code uses this instead (test/core/zod-messages.test.ts checks).
 */
export function catchAs<T extends z.ZodMiniType>(schema: T, value: z.output<T>): z.ZodMiniCatch<T> {
  // zod core types `_catch` for object schemas only; it builds any schema's catch the same way.
  return _catch(z.ZodMiniCatch as never, schema as never, value as never) as unknown as z.ZodMiniCatch<T>;
}
