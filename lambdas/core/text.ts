// Bounded text: what a message or a log line may echo from input. A malformed 1 MB parameter must
// still give a short sentence that says what was wrong, so values are quoted by their start and
// counted, never copied whole and never cut where a reader cannot tell.

/** How many characters of one input value a message quotes; the rest is counted, not copied. */
export const ECHO_CHARACTERS = 64;

/** A string as a message quotes it: whole when short, else its start and its length (the quote stays closed). */
export function quote(value: string, characters = ECHO_CHARACTERS): string {
  if (value.length <= characters) return JSON.stringify(value);
  return `${JSON.stringify(`${value.slice(0, characters)}…`)} (${value.length} characters)`;
}

/**
 * `text` within `max` characters: whole when it fits, else cut at a word boundary with the number
 * of characters left out, so a reader sees that (and how much) is missing.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (left: number) => ` … (${left} more characters)`;
  let cut = max - marker(text.length).length;
  const space = text.lastIndexOf(' ', cut);
  if (space > cut - 80 && space > 0) cut = space;
  return `${text.slice(0, cut).trimEnd()}${marker(text.length - cut)}`;
}

/** The first `shown` items joined with `separator`, and how many more there are. */
export function listSome(items: readonly string[], shown: number, separator = ', '): string {
  if (items.length <= shown) return items.join(separator);
  return `${items.slice(0, shown).join(separator)}${separator}and ${items.length - shown} more`;
}

/**
 * A service's own text (an ECS rollout reason, a Lambda error message) as a clause inside our
 * sentence: "tasks failed to start." reads "(tasks failed to start)", so a failure stays one sentence.
 */
export function asClause(text: string): string {
  return text.trim().replace(/[.!]+$/, '');
}
