import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

type Manifest = { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
type Lock = {
  packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; link?: boolean; resolved?: string }>;
};

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as Manifest;
const BUILTINS = new Set(builtinModules);
// Bare specifiers of static and dynamic imports and require.resolve, reduced to their package name.
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|require\.resolve\(\s*)'([^'.][^']*)'/g;

function packagesImported(dir: string, { tests }: { tests: boolean }): string[] {
  const files = execFileSync('git', ['ls-files', dir], { encoding: 'utf8' })
    .split('\n')
    .filter((file) => /\.(ts|mjs)$/.test(file) && tests === file.endsWith('.test.ts'));
  const names = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!;
      if (!name.startsWith('node:') && !BUILTINS.has(name)) names.add(name);
    }
  }
  return [...names].sort();
}

/** Every package npm installs for a workspace: its dependencies and theirs, as the lockfile resolves them. */
function installedFor(workspaceDir: string, lock: Lock): Set<string> {
  const seen = new Set<string>();
  const visit = (from: string, name: string) => {
    // Node's lookup: the nearest node_modules up from the dependent, as npm laid it out.
    let base = from;
    for (;;) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) return walk(candidate);
      if (!base) return;
      const at = base.lastIndexOf('/node_modules/');
      base = at < 0 ? '' : base.slice(0, at);
    }
  };
  const walk = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path]!;
    const target = entry.link && entry.resolved ? entry.resolved : path;
    const deps = { ...lock.packages[target]?.dependencies, ...lock.packages[target]?.optionalDependencies };
    for (const name of Object.keys(deps)) visit(target, name);
  };
  walk(workspaceDir);
  return new Set([...seen].map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)));
}

describe('workspace dependencies', () => {
  it.each(['apps/api', 'apps/worker', 'packages/shared'])('%s declares every package its source imports', (dir) => {
    const own = manifest(dir);
    const declared = new Set(Object.keys(own.dependencies ?? {}));
    const imported = packagesImported(`${dir}/src`, { tests: false }).filter((name) => name !== own.name);
    expect(imported.length).toBeGreaterThan(2);
    expect(imported.filter((name) => !declared.has(name))).toEqual([]);
  });

  it('the root declares what bin/, bench/, test/ and the workspaces’ unit tests import', () => {
    const root = manifest('.');
    const declared = new Set([...Object.keys(root.dependencies ?? {}), ...Object.keys(root.devDependencies ?? {})]);
    const workspaces = new Set(['@spool/api', '@spool/worker', '@spool/shared']);
    const imported = [
      ...packagesImported('bin', { tests: false }),
      ...packagesImported('bench', { tests: false }),
      ...packagesImported('test', { tests: false }),
      ...packagesImported('test', { tests: true }),
      ...packagesImported('apps', { tests: true }),
      ...packagesImported('packages', { tests: true }),
    ];
    expect([...new Set(imported)].filter((name) => !declared.has(name) && !workspaces.has(name))).toEqual([]);
  });

  it('the API image installs the API workspace alone, which leaves out node-llama-cpp', () => {
    const dockerfile = readFileSync('infra/Dockerfile', 'utf8');
    const apiStage = dockerfile.slice(dockerfile.indexOf(' AS spool-api'), dockerfile.indexOf('\nFROM', dockerfile.indexOf(' AS spool-api')));
    expect(apiStage).toMatch(/RUN npm ci --omit=dev --workspace @spool\/api\n/);
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as Lock;
    const api = installedFor('apps/api', lock);
    expect(api.has('express')).toBe(true);
    expect(api.has('tsx')).toBe(true);
    expect([...api].filter((name) => name === 'node-llama-cpp' || name.startsWith('@node-llama-cpp/'))).toEqual([]);
    expect(installedFor('apps/worker', lock).has('node-llama-cpp')).toBe(true);
  });

  it('the images run on their own workspace: docker-compose and Kubernetes start the API from spool-api', () => {
    const compose = readFileSync('infra/docker-compose.yml', 'utf8');
    expect(compose).toMatch(/ api:\n\s+build: \{[^}]*target: spool-api \}/);
    expect(readFileSync('infra/k8s/api.yaml', 'utf8')).toContain('image: spool-api:latest');
  });

  it('the images run JavaScript that tsc built, with node: no stage runs tsx, and @spool/* resolve to the built twins', () => {
    const dockerfile = readFileSync('infra/Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/\nRUN npx tsc -p tsconfig\.build\.json --outDir \/out\n/);
    const entrypoints = dockerfile.match(/^ENTRYPOINT .*$/gm) ?? [];
    expect(entrypoints.length).toBeGreaterThanOrEqual(3);
    for (const entrypoint of entrypoints) expect(entrypoint).toBe('ENTRYPOINT ["node", "--conditions=spool-js", "bin/spool.js"]');
    for (const dir of ['apps/api', 'apps/worker', 'packages/shared']) {
      const exports = (manifest(dir) as Manifest & { exports: Record<string, Record<string, string>> }).exports['.']!;
      expect(exports['spool-js']).toBe(exports.default!.replace(/\.ts$/, '.js'));
    }
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[]; exclude: string[] };
    expect(build.include).toEqual(expect.arrayContaining(['apps/*/src', 'packages/*/src', 'bin']));
  });
});
