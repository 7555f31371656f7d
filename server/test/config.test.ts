// config.ts: the allowed-origins list, as the gateway checks it and the boot log shows it.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config: ALLOWED_ORIGINS', () => {
  it('lists each default origin once when PUBLIC_URL is one of the local addresses', () => {
    expect(loadConfig({ PORT: '8080' }).allowedOrigins).toEqual(['http://localhost:8080', 'http://127.0.0.1:8080']);
    expect(loadConfig({ PORT: '8080', PUBLIC_URL: 'http://127.0.0.1:8080/' }).allowedOrigins)
      .toEqual(['http://127.0.0.1:8080', 'http://localhost:8080']);
  });

  it('keeps the public origin first, then the local ones', () => {
    expect(loadConfig({ PORT: '9000', PUBLIC_URL: 'https://shop.example' }).allowedOrigins)
      .toEqual(['https://shop.example', 'http://localhost:9000', 'http://127.0.0.1:9000']);
  });

  it('lists a repeated ALLOWED_ORIGINS entry once', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.example, https://b.example,https://a.example' }).allowedOrigins)
      .toEqual(['https://a.example', 'https://b.example']);
  });
});
