/**
 * HTTP responses in Alpaca's shape: errors are `{code, message}` with Alpaca's codes; field
 * errors are also listed under `errors` (an addition Alpaca clients ignore).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { FieldError } from '../core/index.js';

/** Alpaca error codes (the first three digits are the HTTP status). */
export const API_ERROR = {
  /** Malformed or invalid request: body, query or field rule. */
  badRequest: 40010001,
  unauthorized: 40110000,
  /** Refused by pre-trade risk (Alpaca uses it for insufficient buying power). */
  riskRefused: 40310000,
  notFound: 40410000,
  payloadTooLarge: 41310000,
  /** Well-formed but not possible now: not cancelable, not replaceable, id reused. */
  unprocessable: 42210000,
  rateLimited: 42910000,
  internal: 50010000,
  /** A write that kept losing its race to concurrent writers of the same item: retry. */
  busy: 50310000,
} as const;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 204, headers: {}, body: '' };
}

export function apiError(
  statusCode: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, { code, message, ...extra });
}

/**
 * 503 with `Retry-After: 1`: a write that still lost its race to concurrent writers after its
 * attempts (platform/write-retry.ts); nothing was changed by this request, retrying is safe.
 */
export function busy(message: string): APIGatewayProxyStructuredResultV2 {
  return json(503, { code: API_ERROR.busy, message }, { 'retry-after': '1' });
}

/**
 * 429 from a per-second limit, with `Retry-After: 1` and Alpaca's `X-RateLimit-*` headers (its SDKs
 * pace by them): the limit, none left, and the epoch second when the window has passed.
 */
export function rateLimited(
  message: string,
  limit: number,
  extra: Record<string, unknown> = {},
): APIGatewayProxyStructuredResultV2 {
  return json(
    429,
    { code: API_ERROR.rateLimited, message, ...extra },
    {
      'retry-after': '1',
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
    },
  );
}

/** 422 with every field error; the message names the fields. */
export function fieldErrors(
  errors: readonly FieldError[],
  statusCode = 422,
): APIGatewayProxyStructuredResultV2 {
  return apiError(statusCode, API_ERROR.badRequest, errors.map((e) => e.message).join('; '), { errors });
}
