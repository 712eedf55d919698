import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The image test builds a container image (minutes): `npm run test:image`.
    exclude: [...configDefaults.exclude, 'test/image/**'],
    // Real processes, real sockets, real sandboxes: give slow CI machines room,
    // but never let a hung test hang the run.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: sandbox tests spawn processes, so keep parallelism modest.
    maxWorkers: 2,
  },
});
