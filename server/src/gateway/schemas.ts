// Compiled checks for every message a client may send. Compiled TypeBox rejects garbage tens of
// millions of times a second, which is what abusive traffic sends (see PACKAGES.md).
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { Limits } from '../shared/protocol.ts';

const Id = Type.String({ pattern: '^[0-9]{1,18}$' });
const HoldId = Type.String({ pattern: '^[0-9]{1,18}-[0-9]{1,18}$' });
const Rid = Type.String({ pattern: '^[A-Za-z0-9_.:-]+$', minLength: 1, maxLength: Limits.ridMaxLength });

const Ping = Type.Object({ t: Type.Literal('ping'), c: Type.Number() }, { additionalProperties: false });
const Subscribe = Type.Object({ t: Type.Literal('sub'), festival: Id }, { additionalProperties: false });
const Grab = Type.Object({
  t: Type.Literal('grab'), deal: Id, qty: Type.Integer({ minimum: 1, maximum: Limits.maxQty }), rid: Rid,
  retry: Type.Optional(Type.Literal(true)),
  pass: Type.Optional(Type.String({ maxLength: 400 })),
}, { additionalProperties: false });
// Any method-shaped name passes: one the provider does not offer is refused `unknown_method`, which
// tells a client more than `invalid`.
const Method = Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' });
const Pay = Type.Object({
  t: Type.Literal('pay'), hold: HoldId, rid: Type.Optional(Rid), method: Type.Optional(Method),
}, { additionalProperties: false });

const Join = Type.Object({ t: Type.Literal('join'), deal: Id, pow: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false });
const Leave = Type.Object({ t: Type.Literal('leave'), deal: Id }, { additionalProperties: false });

export const checkJoin = Compile(Join);
export const checkLeave = Compile(Leave);
export const checkPing = Compile(Ping);
export const checkSubscribe = Compile(Subscribe);
export const checkGrab = Compile(Grab);
export const checkPay = Compile(Pay);
