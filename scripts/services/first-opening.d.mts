export function clockTime(ms: number): string;
export function describeFirstOpening(festival: { name?: string; deals: Array<{ startsAt: number; state: string }>; serverTime: number } | null, url: string): string;
export function firstOpeningLine(base: string, url: string): Promise<string | null>;
