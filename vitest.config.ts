import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // llama.cpp and the quantizer pools use both cores; run files one at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
