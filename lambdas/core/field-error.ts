/**
 * Field-level validation errors: a stable machine code, the field (dotted path, Alpaca's
 * snake_case names) and a message that names the field. The API maps a non-empty list to
 * HTTP 422/400 with Alpaca's `{code: 40010001, message}` body.
 */
export type FieldErrorCode =
  | 'invalid_type'
  | 'invalid_value'
  | 'unknown_field'
  | 'required'
  | 'not_allowed'
  | 'not_a_decimal'
  | 'too_precise'
  | 'not_positive'
  | 'off_tick'
  | 'too_long'
  | 'out_of_range'
  | 'wrong_side'
  | 'conflict';

export interface FieldError {
  readonly code: FieldErrorCode;
  readonly field: string;
  readonly message: string;
}

export function fieldError(code: FieldErrorCode, field: string, message: string): FieldError {
  return { code, field, message: `${field}: ${message}` };
}

/** One line for an error body: every field error, in the order found. */
export function describeFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => e.message).join('; ');
}
