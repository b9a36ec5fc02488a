import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { routeAccess, type RouteAccess } from '../apps/api/src/auth/route-scopes.js';

/** How the docs' tables spell what a route needs, by the table's `routeAccess` answer. */
function spelled(access: RouteAccess): string {
  if (access.public) return 'none';
  return access.scope ?? 'a valid token';
}

const NONE = new Set(['none', 'nothing', 'public']);

/** Each path of a Markdown table that has a `scope` or `needs` column, with what its row says it needs. */
function documentedNeeds(file: string): { path: string; says: string }[] {
  const rows: { path: string; says: string }[] = [];
  let column = -1;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('|')) {
      column = -1;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (column < 0) {
      column = cells.findIndex((cell) => cell === 'scope' || cell === 'needs');
      continue;
    }
    if (cells[0]!.startsWith('---')) continue;
    const says = cells[column]!.replaceAll('`', '').split(/[\s(]/)[0]!;
    for (const [, path] of cells[0]!.matchAll(/`(?:[A-Z]+ )?(\/[^`\s]*)`/g))
      rows.push({ path: path!.replace(/\*$/, ''), says: NONE.has(says) ? 'none' : says === 'a' ? 'a valid token' : says });
  }
  return rows;
}

describe('route scopes in the docs', () => {
  it.each(['README.md', 'docs/security.md', 'docs/observability.md'])('%s says of each route what auth/route-scopes.ts enforces', (file) => {
    const rows = documentedNeeds(file);
    expect(rows.length).toBeGreaterThan(4);
    expect(rows.filter(({ path, says }) => spelled(routeAccess(path)) !== says)).toEqual([]);
  });
});
