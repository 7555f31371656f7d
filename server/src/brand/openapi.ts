// OpenAPI 3.1 description of the brand API, served at GET /api/openapi.json. Keep it in step
// with routes.ts, validation.ts and types.ts (server/test/brand/openapi.test.ts checks the routes).
import { FieldCode } from '../errors.ts';
import { DealState } from '../shared/protocol.ts';
import { DEFAULT_PAYMENT_METHODS, DealLimits, PAYMENT_METHODS } from './validation.ts';
import { BRAND_RATE } from './auth.ts';
import { CSV_BODY_LIMIT, JSON_BODY_LIMIT } from './limits.ts';
import { MAX_STOCK_BUCKETS } from '../stock/buckets.ts';
import { MAX_CSV_ROWS } from './csv.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const err = (description: string, schema = 'Error') => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const jsonBody = (schema: unknown, description = '') => ({ description, content: { 'application/json': { schema } } });
const time = { oneOf: [{ type: 'integer', description: 'epoch milliseconds' }, { type: 'string', format: 'date-time', description: 'ISO 8601 with a zone' }] };
const dealIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]{1,18}$' } };
const common = {
  '401': err('No key, a bad key or a revoked key (`unauthorized`).'),
  '429': err(`Over the per-key rate limit (${BRAND_RATE.perSecond}/s, burst ${BRAND_RATE.burst}, per gateway): \`rate_limited\`.`),
};
const dealReply = (description: string) => jsonBody({ type: 'object', required: ['deal'], properties: { deal: ref('BrandDeal') } }, description);

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'flashfest brand API',
    version: '1.0.0',
    description: 'Brands schedule festival deals, edit them before they warm, cancel or stop them, and watch them sell. '
      + 'Every request carries `Authorization: Bearer ffb_<keyId>_<secret>` (keys are issued by flashfest ops) and sees only '
      + 'its own brand\'s deals: another brand\'s deal answers 404 exactly like a missing one. Money is integer minor units '
      + 'of an ISO 4217 currency; times are epoch milliseconds (ISO 8601 with a zone is accepted on input). Errors are '
      + '`{code, message}`, validation errors add `errors: [{field, code, message, details?}]`, CSV errors `rows: [{row, line, field, code, message, details?}]`. '
      + 'Every change is audited and reaches shoppers and the scheduler at once.',
  },
  servers: [{ url: '/' }],
  security: [{ brandKey: [] }],
  paths: {
    '/api/brand/me': {
      get: { summary: 'The brand and key making the call', responses: { '200': jsonBody({ type: 'object', properties: { brand: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }, keyId: { type: 'string' } } }), ...common } },
    },
    '/api/brand/festivals': {
      get: { summary: 'Festivals the brand may join (window not ended)', responses: { '200': jsonBody({ type: 'object', properties: { festivals: { type: 'array', items: ref('Festival') } } }), ...common } },
    },
    '/api/brand/deals': {
      get: {
        summary: 'The brand\'s deals with live state and counters',
        parameters: [{ name: 'festivalId', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9]{1,18}$' } }],
        responses: { '200': jsonBody({ type: 'object', properties: { deals: { type: 'array', items: ref('BrandDeal') } } }), '400': err('`invalid` festivalId'), ...common },
      },
      post: {
        summary: 'Create a deal',
        requestBody: { required: true, content: { 'application/json': { schema: ref('DealInput') } } },
        responses: {
          '201': dealReply('Created; state `scheduled`.'),
          '400': err('`bad_json`, or `validation_failed` with `errors`.', 'ValidationError'),
          '413': err(`\`payload_too_large\`: body over ${JSON_BODY_LIMIT / 1024} KiB.`), ...common,
        },
      },
    },
    '/api/brand/deals/bulk': {
      post: {
        summary: 'Create many deals from CSV, all or nothing',
        description: `Header row of deal field names (as in DealInput; case, spaces and underscores ignored), one deal per row, at most ${MAX_CSV_ROWS} rows. `
          + 'Every row is validated first; any error creates nothing and answers `csv_invalid` with every problem per row. '
          + 'Otherwise all rows are inserted in one transaction.',
        parameters: [
          { name: 'festivalId', in: 'query', required: false, description: 'festival for rows without a festivalId column', schema: { type: 'string' } },
          { name: 'dryRun', in: 'query', required: false, description: '`1`: validate only', schema: { type: 'string', enum: ['1', 'true'] } },
        ],
        requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
        responses: {
          '201': jsonBody({ type: 'object', properties: { created: { type: 'integer' }, dryRun: { const: false }, deals: { type: 'array', items: ref('BrandDeal') } } }, 'All rows created.'),
          '200': jsonBody({ type: 'object', properties: { created: { const: 0 }, dryRun: { const: true }, deals: { type: 'array', maxItems: 0 } } }, 'Dry run: every row is valid.'),
          '400': err('`csv_invalid` with `rows`: nothing was created.', 'CsvError'),
          '413': err(`\`payload_too_large\`: body over ${CSV_BODY_LIMIT / 1024 / 1024} MiB.`), ...common,
        },
      },
    },
    '/api/brand/deals/{id}': {
      get: { summary: 'One deal', parameters: [dealIdParam], responses: { '200': dealReply('The deal'), '404': err('`not_found`: no such deal for this brand.'), ...common } },
      patch: {
        summary: 'Edit a deal before it warms',
        description: 'Any subset of DealInput; the result is validated as a whole deal. Allowed while the deal is `scheduled` and starts '
          + 'more than the pre-warm time (PREWARM_SECONDS) + 1 s from now; after that `409 deal_locked`. A new start re-arms every open shopper countdown. '
          + 'A body of `paymentMethods` alone is allowed in any state in which a hold can still be paid (scheduled, warming, live, sold_out, stopped): '
          + 'every gateway picks it up and shoppers\' checkout offers the new set.',
        parameters: [dealIdParam],
        requestBody: { required: true, content: { 'application/json': { schema: { ...ref('DealInput'), description: 'any subset of the fields' } } } },
        responses: {
          '200': dealReply('Edited'), '400': err('`bad_json` or `validation_failed`.', 'ValidationError'),
          '404': err('`not_found`'), '409': err('`deal_locked`: warming, live or about to warm.'), '413': err('`payload_too_large`'), ...common,
        },
      },
    },
    '/api/brand/deals/{id}/cancel': {
      post: {
        summary: 'Cancel a deal that has not opened (scheduled, or warming before its start); shoppers no longer see it',
        parameters: [dealIdParam],
        responses: { '200': dealReply('Cancelled'), '404': err('`not_found`'), '409': err('`deal_state`: already open, ended, stopped or cancelled.'), ...common },
      },
    },
    '/api/brand/deals/{id}/stop': {
      post: {
        summary: 'Kill switch: stop a warming, live or sold-out deal',
        description: 'New grabs are refused (`ended`) at once; holds already made stay payable until they expire.',
        parameters: [dealIdParam],
        responses: { '200': dealReply('Stopped'), '404': err('`not_found`'), '409': err('`deal_state`: scheduled (cancel instead), ended, stopped or cancelled.'), ...common },
      },
    },
    '/api/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
  },
  components: {
    securitySchemes: { brandKey: { type: 'http', scheme: 'bearer', bearerFormat: 'ffb_<keyId>_<secret>' } },
    schemas: {
      Festival: { type: 'object', required: ['id', 'name', 'startsAt', 'endsAt'], properties: { id: { type: 'string' }, name: { type: 'string' }, startsAt: { type: 'integer' }, endsAt: { type: 'integer' } } },
      DealInput: {
        type: 'object', additionalProperties: false,
        required: ['festivalId', 'title', 'listPriceMinor', 'dealPriceMinor', 'currency', 'stock', 'limit', 'startsAt', 'endsAt'],
        properties: {
          festivalId: { type: 'string', description: 'a festival from /api/brand/festivals' },
          title: { type: 'string', minLength: 1, maxLength: DealLimits.titleMax, description: 'product name' },
          description: { type: 'string', maxLength: DealLimits.descriptionMax },
          imageUrl: { type: ['string', 'null'], format: 'uri', pattern: '^https://', maxLength: DealLimits.imageUrlMax },
          listPriceMinor: { type: 'integer', minimum: 1, maximum: DealLimits.priceMax },
          dealPriceMinor: { type: 'integer', minimum: 1, description: 'below listPriceMinor' },
          currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 (the runtime\'s Intl list)' },
          stock: { type: 'integer', minimum: DealLimits.stockMin, maximum: DealLimits.stockMax },
          limit: { type: 'integer', minimum: 1, description: 'per shopper, at most stock' },
          startsAt: { ...time, description: 'in the future, inside the festival window' },
          endsAt: { ...time, description: 'after startsAt by 1 minute to 7 days, inside the festival window' },
          holdMinutes: { type: ['integer', 'null'], minimum: DealLimits.holdMinutesMin, maximum: DealLimits.holdMinutesMax, description: 'time a shopper has to pay; default HOLD_SECONDS' },
          stockBuckets: { type: ['integer', 'null'], minimum: 1, maximum: MAX_STOCK_BUCKETS, description: 'split a hot deal\'s stock over this many Redis slots (at most stock); null: the engine\'s rule (STOCK_BUCKET_UNITS). Fixed once the deal is warmed' },
          paymentMethods: {
            type: ['array', 'null'], minItems: 1, uniqueItems: true, items: { enum: [...PAYMENT_METHODS] },
            description: `how shoppers may pay (cod: cash on delivery); absent or null: ${DEFAULT_PAYMENT_METHODS.join(', ')}. Stored in checkout order. May change alone after the deal opens`,
          },
        },
      },
      BrandDeal: {
        type: 'object',
        properties: {
          id: { type: 'string' }, festivalId: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' },
          imageUrl: { type: ['string', 'null'] }, listPriceMinor: { type: 'integer' }, dealPriceMinor: { type: 'integer' },
          currency: { type: 'string' }, stock: { type: 'integer' }, limit: { type: 'integer' }, holdSeconds: { type: 'integer' },
          stockBuckets: { type: ['integer', 'null'] },
          paymentMethods: { type: 'array', items: { enum: [...PAYMENT_METHODS] } },
          startsAt: { type: 'integer' }, endsAt: { type: 'integer' },
          state: { enum: Object.values(DealState) },
          held: { type: 'integer' }, sold: { type: 'integer' }, available: { type: 'integer', description: 'held + sold + available == stock' },
          gmvMinor: { type: 'integer', description: 'sold * dealPriceMinor' },
          warmBuckets: {
            type: ['integer', 'null'], minimum: 1, maximum: MAX_STOCK_BUCKETS,
            description: 'the stock buckets the deal has in Redis (of stockBuckets null: what the engine\'s rule chose). Set once the deal has warmed (warming, live, sold_out, ended, stopped) while Redis holds it; null before it warms, when cancelled, and while Redis has lost it',
          },
          editable: { type: 'boolean' }, cancellable: { type: 'boolean' }, stoppable: { type: 'boolean' },
          paymentEditable: { type: 'boolean', description: 'paymentMethods may still change (alone)' },
          createdAt: { type: 'integer' }, updatedAt: { type: 'integer' },
        },
      },
      Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
      FieldError: {
        type: 'object', required: ['field', 'code', 'message'],
        properties: {
          field: { type: 'string' }, code: { enum: Object.values(FieldCode) },
          message: { type: 'string', description: 'Prices as minor units and in major units ("120000 (1,200.00 PKR)"); times as ISO 8601 in the offset the field was sent with (Z for epoch ms).' },
          details: ref('FieldErrorDetails'),
        },
      },
      FieldErrorDetails: {
        type: 'object', required: ['value'],
        description: 'The numbers behind the message: minor units of `currency` for prices, epoch ms for times, counts otherwise.',
        properties: {
          value: { type: 'number', description: 'the value as the engine read it' },
          limit: { type: 'number', description: 'the bound it broke: an end of the range, the list price, the stock, now, the start, the earliest or latest allowed end' },
          limitField: { type: 'string', description: 'the field whose value `limit` is' },
          currency: { type: 'string', description: 'prices: the deal\'s currency, when valid' },
          festival: ref('Festival'),
        },
      },
      ValidationError: { allOf: [ref('Error'), { type: 'object', properties: { errors: { type: 'array', items: ref('FieldError') } } }] },
      CsvError: {
        allOf: [ref('Error'), { type: 'object', properties: { rows: { type: 'array', items: { allOf: [ref('FieldError'), { type: 'object', properties: { row: { type: 'integer', description: '1 = first data row; 0 = the header' }, line: { type: 'integer' } } }] } } } }],
      },
    },
  },
} as const;
