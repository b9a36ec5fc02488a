import { InvalidRequestError } from '@spool/shared';

/**
 * An arithmetic expression parser (recursive descent; no `eval`, no `Function`): numbers, + - * / %,
 * ^ (right-associative), parentheses, unary signs, the constants pi and e, and the functions below.
 */
const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  ln: Math.log,
  log: Math.log10,
  exp: Math.exp,
  min: Math.min,
  max: Math.max,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+|[a-z_]+|\*\*|[-+*/%^(),]|\S/gi) ?? [];
  let position = 0;
  const fail = (message: string): never => {
    throw new InvalidRequestError(`Cannot evaluate '${expression}': ${message}.`, 'expression', 'invalid_expression');
  };
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position];
    if (expected !== undefined && token !== expected)
      fail(token === undefined ? `expected '${expected}' at the end` : `expected '${expected}' but found '${token}'`);
    position += 1;
    return token;
  };

  function sum(): number {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product();
    return value;
  }
  function product(): number {
    let value = unary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const operator = take();
      const right = unary();
      value = operator === '*' ? value * right : operator === '/' ? value / right : value % right;
    }
    return value;
  }
  function unary(): number {
    if (peek() === '-') return (take(), -unary());
    if (peek() === '+') return (take(), unary());
    return power();
  }
  function power(): number {
    const base = atom();
    if (peek() === '^' || peek() === '**') return (take(), base ** unary());
    return base;
  }
  function atom(): number {
    const token = take();
    if (token === undefined) return fail('it ends too early');
    if (token === '(') {
      const value = sum();
      take(')');
      return value;
    }
    if (/^[\d.]/.test(token)) return Number(token);
    const name = token.toLowerCase();
    if (name in CONSTANTS) return CONSTANTS[name]!;
    const fn = FUNCTIONS[name];
    if (!fn) return fail(`unknown name '${token}'`);
    take('(');
    const args = [sum()];
    while (peek() === ',') {
      take();
      args.push(sum());
    }
    take(')');
    return fn(...args);
  }

  if (tokens.length === 0) fail('it is empty');
  const value = sum();
  if (position < tokens.length) fail(`unexpected '${tokens[position]}'`);
  if (!Number.isFinite(value)) fail('the result is not a finite number');
  return value;
}
