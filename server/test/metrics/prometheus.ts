// A strict reader of the Prometheus text format for tests.

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Every line must parse (format 0.0.4). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!m) throw new Error(`bad comment line: ${line}`);
      if (m[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3]!)) throw new Error(`bad type: ${line}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?Inf)( \d+)?$/.exec(line);
    // Prometheus parses values with Go's ParseFloat: NaN in any case (prom-client writes Nan)
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[l[1]!] = l[2]!;
    }
    const base = m[1]!.replace(/_(bucket|sum|count|total)$/, '');
    if (!types.has(m[1]!) && !types.has(base)) throw new Error(`sample without TYPE: ${line}`);
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

