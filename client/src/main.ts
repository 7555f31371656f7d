// Shopper page entry: takes a marketplace ID token out of the URL first (before anything could
// log or share the address), registers the elements, starts in the shopper's language;
// index.html mounts <ff-shopper-page>.
import { adoptIdTokenFromUrl } from './data/session.ts';
import { registerServiceWorker } from './data/offline.ts';
import { initialLanguage, useLanguage } from './i18n/locale.ts';
import './pages/ff-shopper-page.ts';

adoptIdTokenFromUrl();
// resolves within this task's microtasks (the translations are bundled): before the first paint
void useLanguage(initialLanguage());
registerServiceWorker();
