// Who a shopper is. Two kinds of proof, chosen by SHOPPER_AUTH: a guest session this engine
// signed (SessionSigner: anyone may mint one, so a limit binds a browser tab), or the
// marketplace's ID token, a JWT its login signed and this engine verifies against the key set
// the marketplace publishes (JWKS), so a limit binds a person across tabs and devices.
import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, errors as jose, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.ts';
import { Errors, type ErrorDef } from '../errors.ts';
import { knownCity } from '../live/ticker.ts';
import type { Logger } from '../logger.ts';
import type { Session, SessionSigner } from './session.ts';

export type ShopperCheck = { ok: true; session: Session } | { ok: false; error: ErrorDef };

/** A JWT is three base64url parts; a guest session token is two. */
export function isIdToken(token: string): boolean {
  const first = token.indexOf('.');
  return first > 0 && token.indexOf('.', first + 1) > first && token.split('.').length === 3;
}

/**
 * The shopper id of an account: a keyed hash of (issuer, subject), so the marketplace's account
 * ids never reach Redis keys, Postgres rows or logs, and the same person gets the same id on
 * every device and gateway. Changing SHOPPER_ID_SECRET gives every account a new id.
 */
export function accountShopperId(secret: string, issuer: string, subject: string): string {
  return 'a' + createHmac('sha256', secret).update(`${issuer}\n${subject}`).digest('base64url').slice(0, 22);
}

export class ShopperAuth {
  private readonly keys: JWTVerifyGetKey | null;

  constructor(
    private readonly config: Pick<Config, 'shopperAuth' | 'shopperJwt' | 'shopperIdSecret'>,
    private readonly guests: SessionSigner,
    private readonly logger: Logger,
  ) {
    const jwt = config.shopperAuth !== 'guest' ? config.shopperJwt : null;
    // jose caches the key set, fetches it again once it is older than cacheMaxAge (rotation
    // without a restart), and for an unknown kid at most once per cooldownDuration.
    this.keys = jwt ? createRemoteJWKSet(new URL(jwt.jwksUrl), {
      cacheMaxAge: jwt.jwksCacheSeconds * 1000,
      cooldownDuration: jwt.jwksCooldownSeconds * 1000,
      timeoutDuration: 3_000,
    }) : null;
  }

  get guestsOn(): boolean {
    return this.config.shopperAuth !== 'jwt';
  }

  /** Guest tokens are checked at once; an ID token may need the key set fetched. */
  check(token: string | null | undefined): ShopperCheck | Promise<ShopperCheck> {
    if (!token) return { ok: false, error: Errors.unauthorized };
    if (isIdToken(token)) return this.checkIdToken(token);
    if (!this.guestsOn) return { ok: false, error: Errors.guestsOff };
    const check = this.guests.verify(token);
    if (check.ok) return check;
    return { ok: false, error: check.reason === 'expired' ? Errors.sessionExpired : Errors.unauthorized };
  }

  private async checkIdToken(token: string): Promise<ShopperCheck> {
    const jwt = this.config.shopperJwt;
    if (!this.keys || !jwt) return { ok: false, error: Errors.jwtLoginOff };
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: jwt.algorithms,
        clockTolerance: jwt.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      const city = knownCity(payload[jwt.cityClaim]);
      return {
        ok: true,
        session: {
          shopperId: accountShopperId(this.config.shopperIdSecret, jwt.issuer, payload.sub!),
          expiresAt: payload.exp! * 1000 + jwt.clockSkewSeconds * 1000,
          ...(city ? { city } : {}),
        },
      };
    } catch (err) {
      const error = refusalOf(err);
      // the code only: a token is a credential and its claims name a person
      if (error === Errors.unavailable) this.logger.warn({ err: String(err) }, 'shopper auth: the marketplace key set could not be fetched');
      else this.logger.debug({ code: error.code }, 'shopper auth: ID token refused');
      return { ok: false, error };
    }
  }
}

function refusalOf(err: unknown): ErrorDef {
  if (err instanceof jose.JWTExpired) return Errors.sessionExpired;
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return Errors.tokenNotYetValid;
    if (err.claim === 'iss') return Errors.wrongIssuer;
    if (err.claim === 'aud') return Errors.wrongAudience;
    return Errors.unauthorized;
  }
  if (err instanceof jose.JOSEAlgNotAllowed) return Errors.algorithmNotAllowed;
  if (err instanceof jose.JWKSNoMatchingKey || err instanceof jose.JWKSMultipleMatchingKeys) return Errors.unknownKey;
  if (err instanceof jose.JWSSignatureVerificationFailed) return Errors.badSignature;
  if (err instanceof jose.JWKSTimeout || err instanceof jose.JWKSInvalid) return Errors.unavailable;
  if (err instanceof jose.JOSEError) return Errors.unauthorized;
  // a failed fetch of the key set (the marketplace's endpoint down) is not a JOSEError
  return Errors.unavailable;
}
