import { defineConfig } from 'vitest/config';

// `npm run test:image`: builds the Docker image and runs the CLI and the App in it
// (test/image/). Minutes, not seconds, so not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/image/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 30 * 60_000,
    // One engine, one image: the files share it, so run them one after another.
    fileParallelism: false,
  },
});
