// One catalogue of refusals: a stable string code, the HTTP status it maps to, and a message a
// person can act on. WS refusals reuse the same codes (see protocol.ts for the close codes).
import { ClientMsg, GrabRefusal, PayRefusal, type GrabRefusalCode, type PayRefusalCode } from './shared/protocol.ts';

export interface ErrorDef {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

function def(code: string, status: number, message: string): ErrorDef {
  return Object.freeze({ code, status, message });
}

export const Errors = {
  badJson: def('bad_json', 400, 'The body is not valid JSON.'),
  invalid: def('invalid', 400, 'The request does not match the expected shape.'),
  unauthorized: def('unauthorized', 401, 'A valid session token is required.'),
  sessionExpired: def('session_expired', 401, 'The session token has expired; ask for a new one.'),
  forbiddenOrigin: def('forbidden_origin', 403, 'This Origin may not open a shopper socket.'),
  // shopper accounts: the marketplace's ID token (JWT) refused, or a kind of login switched off
  tokenNotYetValid: def('token_not_yet_valid', 401, 'The ID token is not valid yet (nbf); check the clock of its issuer.'),
  wrongIssuer: def('wrong_issuer', 401, 'The ID token was issued by someone this engine does not trust (iss).'),
  wrongAudience: def('wrong_audience', 401, 'The ID token was not issued for this engine (aud).'),
  unknownKey: def('unknown_key', 401, "The ID token is signed with a key that is not in the marketplace's key set (kid)."),
  badSignature: def('bad_signature', 401, 'The ID token signature does not verify.'),
  algorithmNotAllowed: def('algorithm_not_allowed', 401, 'The ID token is signed with an algorithm this engine does not accept.'),
  jwtLoginOff: def('jwt_login_off', 401, 'Marketplace login is not enabled on this engine; use a guest session.'),
  guestsOff: def('guests_off', 403, 'Guest sessions are switched off: sign in with the marketplace.'),
  notFound: def('not_found', 404, 'No such resource.'),
  methodNotAllowed: def('method_not_allowed', 405, 'That method is not allowed here.'),
  payloadTooLarge: def('payload_too_large', 413, 'The request body is too large.'),
  rateLimited: def('rate_limited', 429, 'Too many requests; slow down.'),
  noFestival: def('no_festival', 404, 'No festival is running or scheduled.'),
  unavailable: def('unavailable', 503, 'The service is starting or stopping; try again shortly.'),
  internal: def('internal', 500, 'Something went wrong on our side.'),
  // shopper socket frames (sent as `{t:'error'}`; the status only says what kind of refusal it is)
  badMessage: def('bad_message', 400, 'Frames must be JSON text.'),
  unknownType: def('unknown_type', 400, `Unknown message type; expected one of ${Object.values(ClientMsg).join(', ')}.`),
  // brand API
  badApiKey: def('unauthorized', 401, 'A valid brand API key is required: Authorization: Bearer ffb_<id>_<secret>.'),
  validationFailed: def('validation_failed', 400, 'Some fields are not valid; see `errors`.'),
  csvInvalid: def('csv_invalid', 400, 'The CSV has errors; nothing was created. See `rows`.'),
  dealLocked: def('deal_locked', 409, 'The deal is warming or live: it can no longer be edited.'),
  dealState: def('deal_state', 409, 'The deal is not in a state that allows this.'),
  // "Remind me" (Web Push)
  remindersOff: def('reminders_off', 503, 'Reminders are not enabled on this engine (no VAPID keys).'),
  unknownDeal: def('unknown_deal', 404, 'No such deal.'),
  dealAlreadyOpen: def('deal_open', 409, 'The deal has already opened: there is nothing to remind you of.'),
  // waiting room
  powRequired: def('pow_required', 403, 'A proof of work is required while a waiting room is on: solve the challenge and send it as `pow`.'),
  powInvalid: def('pow_invalid', 403, 'The proof of work does not verify, has expired, was already used, or belongs to another shopper or deal.'),
  roomOff: def('room_off', 409, 'This deal has no waiting room.'),
  pushEndpointRefused: def('push_endpoint_refused', 400, "The subscription's endpoint is not a push service this engine sends to."),
} as const;

/** Per-field validation codes of the brand API (`errors[].code`, `rows[].code`). Stable strings. */
export const FieldCode = {
  Required: 'required',
  WrongType: 'wrong_type',
  NotInteger: 'not_integer',
  OutOfRange: 'out_of_range',
  TooLong: 'too_long',
  PriceNotBelowList: 'price_not_below_list',
  UnknownCurrency: 'unknown_currency',
  NotHttps: 'not_https',
  BadUrl: 'bad_url',
  BadTime: 'bad_time',
  StartInPast: 'start_in_past',
  OutsideFestival: 'outside_festival',
  EndNotAfterStart: 'end_not_after_start',
  DurationTooLong: 'duration_too_long',
  DurationTooShort: 'duration_too_short',
  LimitAboveStock: 'limit_above_stock',
  UnknownFestival: 'unknown_festival',
  UnknownField: 'unknown_field',
  BadCsv: 'bad_csv',
  TooManyRows: 'too_many_rows',
  NoRows: 'no_rows',
  NoPaymentMethod: 'no_payment_method',
  UnknownPaymentMethod: 'unknown_payment_method',
  DuplicatePaymentMethod: 'duplicate_payment_method',
} as const;
export type FieldCodeValue = (typeof FieldCode)[keyof typeof FieldCode];

export class AppError extends Error {
  constructor(readonly def: ErrorDef, message?: string) {
    super(message ?? def.message);
  }
  get code(): string { return this.def.code; }
  get status(): number { return this.def.status; }
}

const grabMessages: Record<GrabRefusalCode, string> = {
  [GrabRefusal.SoldOut]: 'Sold out: every unit is held or sold.',
  [GrabRefusal.LimitReached]: 'You already hold the most this deal allows per shopper.',
  [GrabRefusal.NotOpen]: 'This deal has not opened yet.',
  [GrabRefusal.Ended]: 'This deal has ended.',
  [GrabRefusal.RateLimited]: 'Too many messages from this connection; slow down.',
  [GrabRefusal.Invalid]: 'The grab message is malformed.',
  [GrabRefusal.UnknownDeal]: 'No such deal.',
  [GrabRefusal.Unavailable]: 'The engine could not decide this grab; try again.',
  [GrabRefusal.NotAdmitted]: 'This deal has a waiting room: join the line and grab with the pass you get when admitted.',
};
export function grabRefusalMessage(code: GrabRefusalCode): string {
  return grabMessages[code];
}

const payMessages: Record<PayRefusalCode, string> = {
  [PayRefusal.HoldExpired]: 'The hold expired before payment; the unit went back on sale.',
  [PayRefusal.UnknownHold]: 'No such hold for this shopper.',
  [PayRefusal.AlreadyPaid]: 'This hold is already paid.',
  [PayRefusal.PaymentDeclined]: 'The payment provider declined the payment.',
  [PayRefusal.RateLimited]: 'Too many messages from this connection; slow down.',
  [PayRefusal.Invalid]: 'The pay message is malformed.',
  [PayRefusal.Unavailable]: 'The engine could not take the payment; try again.',
  [PayRefusal.UnknownMethod]: 'That payment method is not offered; nothing was charged. Choose wallet, card or cash on delivery.',
  [PayRefusal.MethodNotAllowed]: 'This deal does not accept that payment method; nothing was charged. Choose another.',
};
export function payRefusalMessage(code: PayRefusalCode): string {
  return payMessages[code];
}
