/**
 * Duplicate names in a JSON object. RFC 8259 (section 4) says an object's names SHOULD be unique
 * and leaves what a duplicate means to the reader; `JSON.parse` keeps the last. A request body
 * with `"symbol"` twice is ambiguous (a proxy, a log or a signature check may read the first), so
 * the API refuses it rather than guess. Pure: a scan of the text, no parse of the values.
 */

interface Frame {
  /** The names seen so far in an object; null in an array. */
  readonly names: Set<string> | null;
  /** The path of this object or array (`legs.0`, `` for the body itself). */
  readonly path: string;
  /** In an object: the next string is a name. */
  expectName: boolean;
  /** In an object: the last name; in an array: the index of the current element. */
  name: string;
  index: number;
}

const join = (path: string, part: string) => (path === '' ? part : `${path}.${part}`);

/**
 * The path (`a.b`, array elements by index: `legs.0.qty`) of the first name that appears twice in
 * one object of `text`, else null. Names are compared as JSON reads them (`"a"` and `"\u0061"` are
 * the same name). `text` must be valid JSON (`JSON.parse` accepted it).
 */
export function duplicateNamePath(text: string): string | null {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) return null; // not JSON: the parser has refused it already
      const top = stack.at(-1);
      if (top?.names && top.expectName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.names.has(name)) return join(top.path, name);
        top.names.add(name);
        top.expectName = false;
        top.name = name;
      }
      i = end + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      const top = stack.at(-1);
      const path = top === undefined ? '' : join(top.path, top.names ? top.name : String(top.index));
      stack.push({ names: c === '{' ? new Set() : null, path, expectName: c === '{', name: '', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.names) top.expectName = true;
      else if (top) top.index++;
    }
    i++;
  }
  return null;
}
