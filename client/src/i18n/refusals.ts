// The server's refusal codes (protocol.ts GrabRefusal / PayRefusal, and the page's own
// `timeout`, the protocol errors) as sentences in the shopper's language; never the server's
// English `message`.
import { msg, str } from '@lit/localize';
import type { Refusal } from '../data/grab-state.ts';

export function refusalText(r: Refusal): string {
  switch (r.code) {
    case 'sold_out':
      return msg('Sold out: every unit is taken.', { id: 'refusal.sold_out' });
    case 'limit_reached':
      return msg('You have reached the limit for this deal.', { id: 'refusal.limit_reached' });
    case 'not_open':
      return msg('This deal has not opened yet.', { id: 'refusal.not_open' });
    case 'ended':
      return msg('This deal has ended.', { id: 'refusal.ended' });
    case 'rate_limited':
      return msg('Too many tries at once; wait a moment and try again.', { id: 'refusal.rate_limited' });
    case 'invalid':
      return msg('The shop could not read that request; reload the page.', { id: 'refusal.invalid' });
    case 'unknown_deal':
      return msg('This deal is no longer offered.', { id: 'refusal.unknown_deal' });
    case 'unavailable':
      return msg('The shop is busy right now; try again in a moment.', { id: 'refusal.unavailable' });
    case 'not_admitted':
      return msg('This deal lets shoppers in from a waiting line: join the line first.', { id: 'refusal.not_admitted' });
    case 'timeout':
      return msg('No answer from the shop; try again.', { id: 'refusal.timeout' });
    case 'hold_expired':
      return msg('Your hold ran out before payment.', { id: 'refusal.hold_expired' });
    case 'unknown_hold':
      return msg('This hold is not known to the shop.', { id: 'refusal.unknown_hold' });
    case 'already_paid':
      return msg('This order is already paid.', { id: 'refusal.already_paid' });
    case 'payment_declined':
      return msg('The payment was declined; try another method.', { id: 'refusal.payment_declined' });
    case 'unknown_method':
    case 'method_not_allowed':
      return msg('This payment method is not available for this deal.', { id: 'refusal.method_not_allowed' });
    case 'not_found':
      return msg('The shop could not find that.', { id: 'refusal.not_found' });
    default:
      // a code newer than this page: say so in the shopper's language, with the code to quote
      return msg(str`Something went wrong (${r.code}); try again.`, { id: 'refusal.other' });
  }
}
