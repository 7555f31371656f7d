// GET / : index.html with the festival shell, from the view GET /api/festivals/current answers.
import type { HttpResponse } from 'uWebSockets.js';
import { currentFestivalId } from '../db/catalog-repo.ts';
import { guard } from '../http/uws-http.ts';
import { sendEncoded, type StaticFiles } from '../gateway/static-files.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { Language } from '../shared/languages.ts';
import { ShopperShell } from './shopper-shell.ts';

const HTML = 'text/html; charset=utf-8';

/** Serves `/` with the shell in `language` (shared/languages.ts shellLanguage), or returns false
 *  when the build has no shell mark (then the caller serves the file as it is). */
export function shopperPageServer(ctx: GatewayContext, files: StaticFiles): (res: HttpResponse, acceptEncoding: string, head: boolean, language: Language) => boolean {
  const index = files.find('/');
  const shell = new ShopperShell(index ? index.body.identity.toString('utf8') : '');
  return (res, acceptEncoding, head, language) => {
    if (!index || !shell.usable) return false;
    const state = guard(res);
    void (async () => {
      const id = await currentFestivalId(ctx.pool);
      return id ? ctx.feed.festivalView(id, ctx.clock.now()) : null;
    })().then(
      (view) => shell.page(view, language),
      (err: unknown) => {
        // The page must load whatever Postgres does: without the shell, the script fetches later.
        ctx.logger.warn({ err }, 'festival shell unavailable');
        return index.body;
      },
    ).then((body) => {
      if (state.aborted) return;
      // no-cache: the shell is the festival as it stands now, never kept by an HTTP cache
      sendEncoded(res, { body, type: HTML }, 'no-cache', acceptEncoding, head);
    });
    return true;
  };
}
