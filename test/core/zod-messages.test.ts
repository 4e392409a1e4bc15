/**
 * zod/mini loads no locale: lambdas/core/zod-messages.ts configures classic zod's English one and
 * throws parse errors named as classic zod did. Messages reach API responses, events and logs.
 */
import * as z from 'zod/mini';
import { validateOrderRequest } from '../../lambdas/core/index.js';
import { parseOrThrow } from '../../lambdas/core/zod-messages.js';

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
});
