/**
 * A GBNF grammar without recursion as one JavaScript RegExp, so unit tests can check which JSON
 * texts a generated grammar admits without loading a model. Rule references are inlined.
 */
export function gbnfToRegex(grammar: string, root = 'root'): RegExp {
  const rules = new Map<string, string>();
  for (const line of grammar.split('\n')) {
    const match = /^([A-Za-z0-9-]+) ::= (.*)$/.exec(line);
    if (match) rules.set(match[1]!, match[2]!);
  }
  const expand = (name: string, stack: string[]): string => {
    if (stack.includes(name)) throw new Error(`recursive rule ${name}`);
    const body = rules.get(name);
    if (body === undefined) throw new Error(`no rule ${name}`);
    return `(?:${translate(body, [...stack, name])})`;
  };
  const translate = (body: string, stack: string[]): string => {
    let out = '';
    let index = 0;
    while (index < body.length) {
      const char = body[index]!;
      if (char === ' ') index += 1;
      else if (char === '"') {
        let text = '';
        index += 1;
        while (body[index] !== '"') {
          if (body[index] === '\\') {
            const next = body[index + 1]!;
            const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"' };
            if (next === 'x') {
              text += String.fromCharCode(parseInt(body.slice(index + 2, index + 4), 16));
              index += 4;
            } else {
              text += escapes[next] ?? next;
              index += 2;
            }
          } else text += body[index++];
        }
        index += 1;
        out += `(?:${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')})`;
      } else if (char === '[') {
        let end = index + 1;
        while (body[end] !== ']') end += body[end] === '\\' ? 2 : 1;
        out += body.slice(index, end + 1).replace(/\\U([0-9a-fA-F]{8})/g, (_, code: string) => `\\u{${parseInt(code, 16).toString(16)}}`);
        index = end + 1;
      } else if (/[A-Za-z]/.test(char)) {
        const name = /^[A-Za-z0-9-]+/.exec(body.slice(index))![0];
        out += expand(name, stack);
        index += name.length;
      } else if (char === '(') {
        out += '(?:';
        index += 1;
      } else {
        out += char;
        index += 1;
      }
    }
    return out;
  };
  return new RegExp(`^${expand(root, [])}$`, 'u');
}
