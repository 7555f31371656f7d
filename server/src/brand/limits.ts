// Body caps of the brand API (413 payload_too_large past them).
export const JSON_BODY_LIMIT = 64 * 1024;
export const CSV_BODY_LIMIT = 2 * 1024 * 1024;
