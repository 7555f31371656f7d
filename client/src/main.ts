// Shopper page entry: takes a marketplace ID token out of the URL first (before anything could
// log or share the address), registers the elements; index.html mounts <ff-shopper-page>.
import { adoptIdTokenFromUrl } from './data/session.ts';
import { registerServiceWorker } from './data/offline.ts';
import './pages/ff-shopper-page.ts';

adoptIdTokenFromUrl();
registerServiceWorker();
