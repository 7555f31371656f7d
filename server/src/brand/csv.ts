// Bulk deals from CSV: one header row naming deal fields (as in the JSON API; case and
// underscores ignored, so `list_price_minor` works too), one deal per row. Parsing turns each row
// into the JSON shape and hands it to the same validation as a single create. A list field
// (`payment_methods`) is one cell with its items between bars: `wallet|card|cod`.
import { parse } from 'csv-parse/sync';
import { FieldCode } from '../errors.ts';
import { DEAL_FIELDS, type DealField } from './validation.ts';
import type { RowError } from '../shared/brand-api.ts';

export const MAX_CSV_ROWS = 1000;

const NUMERIC: ReadonlySet<DealField> = new Set(['listPriceMinor', 'dealPriceMinor', 'stock', 'limit', 'holdMinutes', 'stockBuckets']);
const norm = (s: string) => s.replace(/[\s_-]/g, '').toLowerCase();
const BY_NORM = new Map<string, DealField>(DEAL_FIELDS.map((f) => [norm(f), f]));

export interface CsvRow {
  /** 1 = first data row */
  row: number;
  /** file line where the row ends */
  line: number;
  input: Record<string, unknown>;
}

/** `columns`: each field's header as the file wrote it (`list_price_minor`), so row errors name
 *  the column the brand sees in its spreadsheet. */
export type CsvParse = { ok: true; rows: CsvRow[]; columns: Partial<Record<DealField, string>> } | { ok: false; errors: RowError[] };

export function parseDealsCsv(text: string, defaults: { festivalId?: string } = {}): CsvParse {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  const unknown: RowError[] = [];
  const columns: Partial<Record<DealField, string>> = {};
  try {
    records = parse(text, {
      bom: true, trim: true, skip_empty_lines: true, info: true, relax_column_count: false,
      columns: (header: string[]) => header.map((h) => {
        const f = BY_NORM.get(norm(h));
        if (f) columns[f] = h;
        else unknown.push({ row: 0, line: 1, field: h, code: FieldCode.UnknownField, message: `Column "${h}" is not a deal field (known: ${DEAL_FIELDS.join(', ')}).` });
        return f ?? `?${h}`;
      }),
    }) as unknown as { record: Record<string, string>; info: { lines: number } }[];
  } catch (err) {
    const e = err as { message?: string; lines?: number; records?: number };
    return { ok: false, errors: [{ row: e.records ?? 0, line: e.lines ?? 0, field: '', code: FieldCode.BadCsv, message: `Not valid CSV: ${e.message ?? String(err)}` }] };
  }
  if (unknown.length) return { ok: false, errors: unknown };
  if (records.length === 0) return { ok: false, errors: [{ row: 0, line: 1, field: '', code: FieldCode.NoRows, message: 'The CSV has a header but no deal rows.' }] };
  if (records.length > MAX_CSV_ROWS) {
    return { ok: false, errors: [{ row: MAX_CSV_ROWS + 1, line: records[MAX_CSV_ROWS]!.info.lines, field: '', code: FieldCode.TooManyRows, message: `At most ${MAX_CSV_ROWS} deals per upload.` }] };
  }
  const rows = records.map(({ record, info }, i): CsvRow => {
    const input: Record<string, unknown> = {};
    if (defaults.festivalId) input.festivalId = defaults.festivalId;
    for (const [k, v] of Object.entries(record)) {
      if (v === '') continue;
      if (k === 'paymentMethods') input[k] = v.split('|').map((m) => m.trim()).filter((m) => m !== '');
      else input[k] = NUMERIC.has(k as DealField) && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    }
    return { row: i + 1, line: info.lines, input };
  });
  return { ok: true, rows, columns };
}
