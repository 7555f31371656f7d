// What every scenario collects: figures per metric and variant (one value per run), and named
// correctness checks, each failing once any run breaks it (its detail goes to `errors`).
export function createResults() {
  const rows = {};
  const errors = [];
  const checks = new Map();
  return {
    rows, errors,
    put(metric, variant, value) { ((rows[metric] ??= {})[variant] ??= []).push(value); },
    check(what, ok, detail) {
      if (!checks.has(what)) checks.set(what, true);
      if (!ok) { checks.set(what, false); errors.push(`${what}: ${detail}`); }
    },
    checkList() { return [...checks].map(([what, ok]) => ({ what, ok })); },
  };
}
