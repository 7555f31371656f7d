// The few words of the festival shell (the HTML of `/` before its script runs), in each of the
// page's languages. The page says the same things through @lit/localize (client/src/locales/);
// these must read the same, so the text does not change when the page takes over.
import type { Language } from '../shared/languages.ts';

export interface ShellText {
  opens(time: string): string;
  ends(time: string): string;
  soldOut: string;
  ended: string;
  left(n: string): string;
  noneLeft: string;
  limit(n: string): string;
  connecting: string;
  noFestival: string;
}

const TEXT: Readonly<Record<string, ShellText>> = {
  en: {
    opens: (t) => `Opens ${t}`, ends: (t) => `Ends ${t}`, soldOut: 'Sold out', ended: 'Ended',
    left: (n) => `${n} left`, noneLeft: 'None left', limit: (n) => `Limit ${n} per shopper`,
    connecting: 'Connecting…', noFestival: 'No festival is on right now. Check back soon.',
  },
  ur: {
    opens: (t) => `کھلے گا ${t}`, ends: (t) => `ختم ہو گا ${t}`, soldOut: 'فروخت ہو گیا', ended: 'ختم',
    left: (n) => `${n} باقی`, noneLeft: 'کوئی باقی نہیں', limit: (n) => `فی خریدار حد ${n}`,
    connecting: 'جڑ رہا ہے…', noFestival: 'اس وقت کوئی فیسٹیول نہیں چل رہا۔ جلد دوبارہ دیکھیں۔',
  },
  hi: {
    opens: (t) => `${t} को खुलेगा`, ends: (t) => `${t} को समाप्त`, soldOut: 'बिक गया', ended: 'समाप्त',
    left: (n) => `${n} बचे`, noneLeft: 'कोई नहीं बचा', limit: (n) => `प्रति ग्राहक सीमा ${n}`,
    connecting: 'कनेक्ट हो रहा है…', noFestival: 'अभी कोई फ़ेस्टिवल नहीं चल रहा। जल्द ही फिर देखें।',
  },
  'zh-Hans': {
    opens: (t) => `${t} 开抢`, ends: (t) => `${t} 结束`, soldOut: '已抢光', ended: '已结束',
    left: (n) => `剩 ${n} 件`, noneLeft: '已无库存', limit: (n) => `每人限购 ${n} 件`,
    connecting: '连接中…', noFestival: '当前没有进行中的购物节，请稍后再来。',
  },
};

export function shellText(lang: Language): ShellText {
  return TEXT[lang.tag] ?? TEXT.en!;
}
