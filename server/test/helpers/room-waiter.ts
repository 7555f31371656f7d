// A shopper over a plain socket standing in a deal's waiting line (the crowd around the pages in
// the browser tests): a guest session with the door's proof of work, then join with another.
import { newSessionWithPow, solvePow } from './room-client.ts';
import { ShopperSocket } from './shopper-socket.ts';
import type { JoinedMsg, PowMsg } from '../../src/shared/room-protocol.ts';

export async function joinLine(url: string, wsUrl: string, festivalId: string, deal: string): Promise<{ s: ShopperSocket; joined: JoinedMsg }> {
  const session = await newSessionWithPow(url);
  const s = await ShopperSocket.open(wsUrl, session.token);
  await s.waitFor((m) => m.t === 'hello');
  s.send({ t: 'sub', festival: festivalId });
  s.send({ t: 'join', deal });
  const pow = (await s.waitFor((m) => m.t === 'pow' && m.deal === deal)) as PowMsg;
  s.send({ t: 'join', deal, pow: solvePow(pow.challenge) });
  return { s, joined: (await s.waitFor((m) => m.t === 'joined' && m.deal === deal)) as JoinedMsg };
}

/** POST /api/ops/rooms/:deal with the ops token: pause, resume, set the outflow. */
export async function controlRoom(url: string, opsToken: string, deal: string, body: { paused?: boolean; outflow?: number }): Promise<void> {
  const res = await fetch(`${url}/api/ops/rooms/${deal}`, {
    method: 'POST', headers: { authorization: `Bearer ${opsToken}` }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`ops room control: ${res.status} ${await res.text()}`);
}
