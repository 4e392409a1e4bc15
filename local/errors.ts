/** A protocol error of a local AWS stand-in: the endpoint answers `{__type: type, message}` with `status`. */
export class LocalServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
