/**
 * One way to turn anything thrown into words. Errors crossing a comlink
 * boundary arrive as Error objects; anything else thrown (a string, a DOM
 * event) is stringified.
 */

/** The message of `error`, or its string form when it is not an Error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `error` itself when it is an Error, else a new Error with its string form. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The stack of `error` when it has one (for logs), else its message. */
export function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
