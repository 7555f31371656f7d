import { defineConfig } from 'vitest/config';

// Every test talks to real Redis, Postgres and (e2e) Chromium. Files run one at a time: this
// machine has two cores, and storms in parallel files would only measure contention.
export default defineConfig({
  test: {
    // server suites against real services, and the client's pure logic (clock, grab state, store)
    include: ['server/test/**/*.test.ts', 'client/test/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
