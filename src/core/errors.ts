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

/**
 * The most characters of a user's input an error message repeats. A pasted
 * file or a runaway URL must not bury the sentence saying what was wrong.
 */
export const MAX_ECHO_CHARS = 80;

/** `text`, or its first MAX_ECHO_CHARS characters then `… (N characters)`. */
export function clip(text: string, max: number = MAX_ECHO_CHARS): string {
  return text.length <= max ? text : `${head(text, max)}… (${text.length} characters)`;
}

/** `text` as a JSON string, cut as clip() cuts: `"abc"… (200 characters)`. */
export function quote(text: string, max: number = MAX_ECHO_CHARS): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(head(text, max))}… (${text.length} characters)`;
}

/** The first `max` UTF-16 units, one fewer if that would split a surrogate pair. */
function head(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
