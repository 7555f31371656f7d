// Preloaded into the server that `npm start` runs (`node --import <this> ...`): when start.mjs
// is gone without having stopped it (killed with SIGKILL, crashed), the server stops itself the
// graceful way, as if it had been sent SIGTERM, instead of running on as an orphan.
import { watchParent } from './parent-watch.mjs';

watchParent(() => process.kill(process.pid, 'SIGTERM'));
