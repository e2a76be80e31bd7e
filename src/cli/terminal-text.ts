/**
 * Text from snapshots, manifests, databases and error messages is untrusted: a record key may
 * hold ESC ] 52 (the terminal's clipboard write), a C1 CSI, or a bidirectional override that
 * makes a line read differently than it is. Everything booksnap prints goes through here.
 */

/**
 * C0 controls except tab and newline (so ESC, BEL, CR, backspace…), DEL, C1 controls, the
 * bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–U+202E,
 * U+2066–U+2069) and the Unicode line/paragraph separators.
 */
const UNSAFE_IN_TEXT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
/** The same set minus C0, which JSON.stringify already escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const hex = (char: string, digits: number) => (char.codePointAt(0) ?? 0).toString(16).padStart(digits, "0");

/** Human text made inert: each unsafe character shown as a visible escape (\x1b, \u202e). */
export function escapeTerminalText(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, (char) =>
    char.charCodeAt(0) <= 0xff ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`,
  );
}

/**
 * JSON text made inert: the unsafe characters JSON.stringify leaves raw become \u escapes. They
 * can only occur inside JSON strings, where \uXXXX means the same character: the JSON is unchanged.
 */
export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}
