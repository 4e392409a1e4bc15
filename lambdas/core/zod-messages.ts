/**
 * zod's English messages for `zod/mini`, and its parse-or-throw as classic zod throws it.
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
