// Redis pub/sub channels: how processes tell each other news. Not keys (nothing is stored under
// them and they sit on no deal's slot), so they are named here rather than in stock/keys.ts.

export function channels(prefix: string) {
  return {
    /** a shopper's own news: lines `<shopper>\t<frame>` (live/shopper-news.ts) */
    shopperNews: `${prefix}:ch:shopper`,
    /** deal life-cycle changes: `{"dealId": id, "festivalId": id}`; gateways reload that deal */
    dealChanged: `${prefix}:ch:deal`,
    /** sampled new holds for the sales ticker, from every gateway (live/ticker.ts) */
    ticker: `${prefix}:ch:ticker`,
  };
}
