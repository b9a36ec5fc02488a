import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Projects with different maxWorkers need their own group, or `vitest run` refuses to start.
          sequence: { groupOrder: 0 },
          include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'int',
          sequence: { groupOrder: 1 },
          include: ['test/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One model per worker process: files run in parallel but not too many on 2 cores.
          maxWorkers: 2,
        },
      },
    ],
  },
});
