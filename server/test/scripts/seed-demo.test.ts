// scripts/seed-demo.ts: what `npm start` prints about the demo festival it seeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEALS, describeSeed, seedDemo } from '../../../scripts/seed-demo.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

describe('scripts/seed-demo', () => {
  let env: TestEnv;
  beforeAll(async () => { env = await createTestEnv(); });
  afterAll(async () => { await env?.cleanup(); });

  it('names the currencies the festival is priced in, and says what the display currency is for', async () => {
    const seeded = await seedDemo(env.pool, { now: new Date() });
    const first = describeSeed(seeded).split('\n')[0]!;
    const currencies = [...new Set(DEMO_DEALS.map((d) => d.currency))];
    expect(currencies.sort()).toEqual(['CNY', 'INR', 'PKR']);
    expect(first).toContain(`prices in ${[...new Set(seeded.deals.map((d) => d.currency))].join(', ')}`);
    // the festival row's display currency, read back from Postgres, labelled for what it is
    const { rows } = await env.pool.query<{ c: string }>('SELECT display_currency AS c FROM festivals WHERE id = $1', [seeded.festivalId]);
    expect(first).toContain(`(the ops board totals GMV in ${rows[0]!.c.trim()})`);
    expect(first).not.toMatch(/\(display [A-Z]{3}\)/);
  });
});
