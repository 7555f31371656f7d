// Shopper page entry: registers the elements; index.html mounts <ff-shopper-page>.
import './pages/ff-shopper-page.ts';
