// Seeds the demo festival: "11.11 Demo Festival", open now for two hours, with deals from four
// brands in PKR, INR and CNY that open 30 s, 2 min and 5 min from now. Deals are relative to NOW,
// so `npm start` seeds a fresh one on every start (FF_DEMO=0 turns that off); earlier demo
// festivals are ended, never deleted: their orders and ledger stay as they were.
//
//   node --import tsx scripts/seed-demo.ts      (uses DATABASE_URL / DB_SCHEMA like the server)
//
// Tests import `seedDemo(pool, { now })`.
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../server/src/config.ts';
import { createPool, inTransaction, type Pool } from '../server/src/db/pool.ts';
import { migrate } from '../server/src/db/migrate.ts';
import { createKey, findBrand, listKeys, revokeKey } from '../server/src/db/brand-keys-repo.ts';
import type { PaymentMethodValue } from '../server/src/shared/protocol.ts';
import { answerHelp } from './services/usage.mjs';

export const DEMO_FESTIVAL_NAME = '11.11 Demo Festival';
export const DEMO_FESTIVAL_HOURS = 2;
export const DEMO_HOLD_SECONDS = 120;

export interface DemoDealSpec {
  brand: string;
  title: string;
  description: string;
  currency: 'PKR' | 'INR' | 'CNY';
  /** integer minor units (paisa, paise, fen) */
  listPriceMinor: number;
  dealPriceMinor: number;
  stock: number;
  perShopperLimit: number;
  /** seconds after the festival starts */
  opensAfterSeconds: number;
  /** how long the deal runs, seconds */
  durationSeconds: number;
  /** a file of client/public/demo (served at /demo/<file>): the demo works offline */
  image: string;
  /** cash on delivery where the brand accepts it for this deal (cheap, easy to hand over) */
  paymentMethods: readonly PaymentMethodValue[];
}

const PREPAID: readonly PaymentMethodValue[] = ['wallet', 'card'];
const WITH_COD: readonly PaymentMethodValue[] = ['wallet', 'card', 'cod'];

/** Where the demo images are served: vite copies client/public to the root of client/dist. */
export const DEMO_IMAGE_PATH = '/demo/';

export const DEMO_BRANDS = ['Daraz Electronics', 'Lahore Loom', 'Shenzhen Gadgets', 'Mumbai Masala Co'] as const;

export const DEMO_DEALS: readonly DemoDealSpec[] = [
  // opens after 30 s
  { brand: 'Daraz Electronics', title: 'Redmi Note 13 (8 GB / 256 GB)', description: 'AMOLED 120 Hz, 108 MP camera, official warranty.',
    currency: 'PKR', listPriceMinor: 6_499_900, dealPriceMinor: 4_999_900, stock: 20, perShopperLimit: 1, opensAfterSeconds: 30, durationSeconds: 45 * 60,
    image: 'redmi-note-13.svg', paymentMethods: PREPAID },
  { brand: 'Lahore Loom', title: 'Hand-block printed lawn, 3-piece', description: 'Unstitched shirt, dupatta and trouser; pure cotton lawn.',
    currency: 'PKR', listPriceMinor: 850_000, dealPriceMinor: 549_900, stock: 30, perShopperLimit: 2, opensAfterSeconds: 30, durationSeconds: 30 * 60,
    image: 'lawn-3-piece.svg', paymentMethods: WITH_COD },
  { brand: 'Shenzhen Gadgets', title: 'ANC wireless earbuds', description: 'Active noise cancelling, 30 h with the case, USB-C.',
    currency: 'CNY', listPriceMinor: 29_900, dealPriceMinor: 14_900, stock: 40, perShopperLimit: 2, opensAfterSeconds: 30, durationSeconds: 60 * 60,
    image: 'anc-earbuds.svg', paymentMethods: PREPAID },
  // opens after 2 min
  { brand: 'Daraz Electronics', title: 'Anker 20 W USB-C charger', description: 'Fast charging for phones and tablets.',
    currency: 'PKR', listPriceMinor: 399_900, dealPriceMinor: 199_900, stock: 50, perShopperLimit: 3, opensAfterSeconds: 120, durationSeconds: 60 * 60,
    image: 'usb-c-charger-20w.svg', paymentMethods: WITH_COD },
  { brand: 'Shenzhen Gadgets', title: '65 W GaN travel charger', description: 'Three ports, foldable plug.',
    currency: 'CNY', listPriceMinor: 19_900, dealPriceMinor: 9_900, stock: 25, perShopperLimit: 3, opensAfterSeconds: 120, durationSeconds: 45 * 60,
    image: 'gan-charger-65w.svg', paymentMethods: PREPAID },
  { brand: 'Mumbai Masala Co', title: 'Kashmiri saffron, 2 g', description: 'Grade A1 mongra threads.',
    currency: 'INR', listPriceMinor: 99_900, dealPriceMinor: 59_900, stock: 15, perShopperLimit: 2, opensAfterSeconds: 120, durationSeconds: 30 * 60,
    image: 'kashmiri-saffron.svg', paymentMethods: WITH_COD },
  // opens after 5 min
  { brand: 'Lahore Loom', title: 'Pure pashmina shawl', description: 'Hand-woven, natural undyed wool.',
    currency: 'PKR', listPriceMinor: 1_800_000, dealPriceMinor: 1_199_900, stock: 10, perShopperLimit: 1, opensAfterSeconds: 300, durationSeconds: 40 * 60,
    image: 'pashmina-shawl.svg', paymentMethods: PREPAID },
  { brand: 'Mumbai Masala Co', title: 'Garam masala gift box', description: 'Six whole-spice blends in tins.',
    currency: 'INR', listPriceMinor: 79_900, dealPriceMinor: 44_900, stock: 5, perShopperLimit: 1, opensAfterSeconds: 300, durationSeconds: 50 * 60,
    image: 'garam-masala-box.svg', paymentMethods: WITH_COD },
  { brand: 'Shenzhen Gadgets', title: 'AMOLED smartwatch', description: 'GPS, heart rate, 14-day battery.',
    currency: 'CNY', listPriceMinor: 59_900, dealPriceMinor: 34_900, stock: 8, perShopperLimit: 1, opensAfterSeconds: 300, durationSeconds: 60 * 60,
    image: 'amoled-smartwatch.svg', paymentMethods: PREPAID },
];

export interface SeededDeal {
  id: number;
  brand: string;
  title: string;
  currency: string;
  listPriceMinor: number;
  dealPriceMinor: number;
  stock: number;
  perShopperLimit: number;
  startsAt: Date;
  endsAt: Date;
  paymentMethods: readonly PaymentMethodValue[];
}

export interface SeedResult {
  festivalId: number;
  name: string;
  startsAt: Date;
  endsAt: Date;
  /** currency the ops board totals GMV in (each deal keeps its own price currency) */
  displayCurrency: string;
  deals: SeededDeal[];
  /** earlier demo festivals that were still running and are now ended */
  endedFestivalIds: number[];
}

/**
 * Creates a fresh demo festival starting at `now`, in one transaction, in the pool's schema
 * (its search_path). Earlier demo festivals still running end at `now`: their deals that have
 * not opened are cancelled, the live ones get `ends_at = now` so the scheduler closes them.
 */
export async function seedDemo(pool: Pool, { now = new Date() }: { now?: Date } = {}): Promise<SeedResult> {
  const startsAt = new Date(now.getTime());
  const endsAt = new Date(now.getTime() + DEMO_FESTIVAL_HOURS * 3_600_000);
  return inTransaction(pool, async (client) => {
    const ended = await client.query<{ id: number }>(
      `UPDATE festivals SET ends_at = GREATEST($2::timestamptz, starts_at + interval '1 millisecond')
        WHERE name = $1 AND ends_at > $2 RETURNING id`,
      [DEMO_FESTIVAL_NAME, now],
    );
    const endedFestivalIds = ended.rows.map((r) => r.id);
    if (endedFestivalIds.length) {
      await client.query(
        `UPDATE deals SET state = 'cancelled', updated_at = $2
          WHERE festival_id = ANY($1::bigint[]) AND state IN ('scheduled', 'warming')`,
        [endedFestivalIds, now],
      );
      await client.query(
        `UPDATE deals SET ends_at = GREATEST($2::timestamptz, starts_at + interval '1 millisecond'), updated_at = $2
          WHERE festival_id = ANY($1::bigint[]) AND state IN ('live', 'sold_out') AND ends_at > $2`,
        [endedFestivalIds, now],
      );
    }

    // three markets, three currencies: the ops board adds them up in one common currency
    const fest = await client.query<{ id: number; display_currency: string }>(
      `INSERT INTO festivals (name, starts_at, ends_at, display_currency) VALUES ($1, $2, $3, 'USD') RETURNING id, display_currency`,
      [DEMO_FESTIVAL_NAME, startsAt, endsAt],
    );
    const festivalId = fest.rows[0]!.id;
    const displayCurrency = fest.rows[0]!.display_currency.trim();

    const brandIds = new Map<string, number>();
    for (const name of DEMO_BRANDS) {
      const r = await client.query<{ id: number }>(
        `INSERT INTO brands (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
        [name],
      );
      brandIds.set(name, r.rows[0]!.id);
    }

    const deals: SeededDeal[] = [];
    for (const d of DEMO_DEALS) {
      const dStart = new Date(startsAt.getTime() + d.opensAfterSeconds * 1000);
      const dEnd = new Date(dStart.getTime() + d.durationSeconds * 1000);
      const r = await client.query<{ id: number }>(
        `INSERT INTO deals (festival_id, brand_id, title, description, image_url, list_price_minor, deal_price_minor,
                            currency, stock, per_shopper_limit, hold_seconds, starts_at, ends_at, payment_methods)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
        [festivalId, brandIds.get(d.brand), d.title, d.description, DEMO_IMAGE_PATH + d.image, d.listPriceMinor,
          d.dealPriceMinor, d.currency, d.stock, d.perShopperLimit, DEMO_HOLD_SECONDS, dStart, dEnd, d.paymentMethods],
      );
      deals.push({
        id: r.rows[0]!.id, brand: d.brand, title: d.title, currency: d.currency,
        listPriceMinor: d.listPriceMinor, dealPriceMinor: d.dealPriceMinor, stock: d.stock,
        perShopperLimit: d.perShopperLimit, startsAt: dStart, endsAt: dEnd, paymentMethods: d.paymentMethods,
      });
    }

    return { festivalId, name: DEMO_FESTIVAL_NAME, startsAt, endsAt, displayCurrency, deals, endedFestivalIds };
  });
}

function money(minor: number, currency: string): string {
  return `${currency} ${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function describeSeed(r: SeedResult): string {
  const priced = [...new Set(r.deals.map((d) => d.currency))].join(', ');
  const lines = [
    `seeded festival #${r.festivalId} "${r.name}": ${r.startsAt.toISOString()} -> ${r.endsAt.toISOString()}, ` +
      `prices in ${priced} (the ops board totals GMV in ${r.displayCurrency})` +
      (r.endedFestivalIds.length ? `; ended earlier demo festival(s) #${r.endedFestivalIds.join(', #')}` : ''),
  ];
  for (const d of r.deals) {
    const opensIn = Math.round((d.startsAt.getTime() - r.startsAt.getTime()) / 1000);
    const mins = Math.round((d.endsAt.getTime() - d.startsAt.getTime()) / 60_000);
    lines.push(
      `  deal #${d.id}  opens +${opensIn >= 60 ? `${opensIn / 60} min` : `${opensIn} s`} for ${mins} min  ` +
      `${d.brand}: ${d.title}  ${money(d.dealPriceMinor, d.currency)} (was ${money(d.listPriceMinor, d.currency)})  ` +
      `stock ${d.stock}, limit ${d.perShopperLimit}/shopper` + (d.paymentMethods.includes('cod') ? ', cash on delivery' : ''),
    );
  }
  return lines.join('\n');
}

const DEMO_KEY_LABEL = 'demo (npm start)';

/** A fresh API key for the first demo brand, so the brand console can be tried at once. The
 *  previous demo key is revoked: only the one just printed works. */
export async function demoBrandKey(pool: Pool): Promise<{ brand: string; key: string } | null> {
  const brand = await findBrand(pool, DEMO_BRANDS[0]);
  if (!brand) return null;
  for (const k of await listKeys(pool, brand.id)) {
    if (k.label === DEMO_KEY_LABEL && k.revokedAt === null) await revokeKey(pool, k.id);
  }
  const { key } = await createKey(pool, brand.id, DEMO_KEY_LABEL);
  return { brand: brand.name, key };
}

async function main(): Promise<void> {
  if (process.env.FF_DEMO === '0') {
    console.log('flashfest: FF_DEMO=0: not seeding the demo festival');
    return;
  }
  const config = loadConfig(process.env);
  const pool = createPool(config, 2);
  try {
    const applied = await migrate(pool, config.dbSchema);
    if (applied.length) console.log(`flashfest: applied migrations ${applied.join(', ')} (schema ${config.dbSchema})`);
    const result = await seedDemo(pool);
    console.log(`flashfest: ${describeSeed(result)}`);
    const key = await demoBrandKey(pool);
    if (key) console.log(`flashfest: brand console /brand: demo API key of ${key.brand}: ${key.key}`);
  } finally {
    await pool.end();
  }
}

const SEED_USAGE = `
usage: npm run seed

Seeds a fresh "${DEMO_FESTIVAL_NAME}" starting now (nine deals in PKR, INR and CNY that open after
30 s, 2 min and 5 min) into DATABASE_URL / DB_SCHEMA, like the server, applying the migrations
first; earlier demo festivals are ended, never deleted. Prints the deals and a fresh demo API key
for the brand console (the previous demo key is revoked). Takes no options; FF_DEMO=0 skips it.`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  answerHelp(SEED_USAGE);
  main().catch((err: unknown) => {
    console.error(`flashfest: seeding the demo festival failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
