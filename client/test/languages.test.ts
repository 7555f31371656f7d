import { describe, expect, it } from 'vitest';
import { acceptedLanguages, matchLanguage, shellLanguage } from '../../server/src/shared/languages.ts';

describe('choosing the shopper\'s language', () => {
  it('matches a browser preference by tag or primary language, Simplified Chinese only', () => {
    expect(matchLanguage(['ur-PK', 'en'])).toBe('ur');
    expect(matchLanguage(['hi-IN'])).toBe('hi');
    expect(matchLanguage(['zh-CN'])).toBe('zh-Hans');
    expect(matchLanguage(['zh-Hans-SG'])).toBe('zh-Hans');
    expect(matchLanguage(['zh-TW', 'fr', 'hi'])).toBe('hi');
    expect(matchLanguage(['de', 'fr'])).toBeNull();
  });

  it('reads Accept-Language by q, and the remembered cookie first', () => {
    expect(acceptedLanguages('en;q=0.5, ur-PK, hi;q=0.8, fr;q=0')).toEqual(['ur-PK', 'hi', 'en']);
    expect(shellLanguage('', 'zh-CN,zh;q=0.9').tag).toBe('zh-Hans');
    expect(shellLanguage('a=1; ff-lang=ur', 'hi-IN').tag).toBe('ur');
    expect(shellLanguage('ff-lang=xx', 'de').tag).toBe('en');
    expect(shellLanguage('', '').dir).toBe('ltr');
    expect(shellLanguage('ff-lang=ur', '').dir).toBe('rtl');
  });
});
