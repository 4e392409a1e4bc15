/**
 * zod/mini loads no locale: lambdas/core/zod-messages.ts configures classic zod's English one and
 * throws parse errors named as classic zod did. Messages reach API responses, events and logs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { validateOrderRequest } from '../../lambdas/core/index.js';
import { catchAs, parseOrThrow } from '../../lambdas/core/zod-messages.js';
import { sourceFiles } from '../source-files.js';

describe('zod messages', () => {
  it('an order request field error carries zod English message', () => {
    const r = validateOrderRequest(
      {
        symbol: 'AAPL',
        qty: '1',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
        advanced_instructions: { algorithm: 'TWAP', start_time: 'soon' },
      },
      { now: 0 },
    );
    expect(r).toEqual({
      ok: false,
      errors: [
        {
          code: 'invalid_value',
          field: 'advanced_instructions.start_time',
          message: 'advanced_instructions.start_time: Invalid ISO datetime',
        },
      ],
    });
  });

  it('parseOrThrow: the parsed value, or a ZodError whose message lists the English issues', () => {
    const schema = z.object({ orderId: z.string().check(z.minLength(1)) });
    expect(parseOrThrow(schema, { orderId: 'o' })).toEqual({ orderId: 'o' });
    let thrown: unknown;
    try {
      parseOrThrow(schema, { orderId: '' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe('ZodError');
    expect(JSON.parse((thrown as Error).message)).toEqual([
      {
        origin: 'string',
        code: 'too_small',
        minimum: 1,
        inclusive: true,
        path: ['orderId'],
        message: 'Too small: expected string to have >=1 characters',
      },
    ]);
  });

  it('catchAs is z.catch with a constant: same outputs, key presence included, same schema kind', () => {
    const inner = z.optional(z.string().check(z.minLength(1)));
    const ours = z.object({ a: catchAs(inner, undefined), b: catchAs(z.string(), 'none') });
    const zods = z.object({ a: z.catch(inner, undefined), b: z.catch(z.string(), 'none') });
    for (const input of [
      {},
      { a: 'x', b: 'y' },
      { a: '', b: 7 },
      { a: 1 },
      { a: undefined, b: null },
      null,
    ]) {
      const [o, r] = [ours.safeParse(input), zods.safeParse(input)];
      expect(o).toStrictEqual(r);
      if (o.success && r.success) expect(Object.keys(o.data)).toEqual(Object.keys(r.data));
    }
    const built = catchAs(z.string(), 'none');
    expect(built).toBeInstanceOf(z.ZodMiniCatch);
    expect(built._zod.def.type).toBe('catch');
    const constant = built._zod.def.catchValue as unknown as Record<string, unknown>;
    expect(constant['~constantCatch']).toBe(true);
  });

  it('Lambda code builds catches with catchAs, not z.catch (which keeps all of zod util in a bundle)', () => {
    const offenders = sourceFiles(join(__dirname, '../../lambdas')).filter((f) =>
      /\bz\.catch\(/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')),
    );
    expect(offenders).toEqual([]);
  });
});
