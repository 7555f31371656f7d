import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { OpsNode } from '../../../server/src/shared/ops-view.ts';

/** Every gateway, worker and scheduler with its last heartbeat; the scheduler leader marked.
 *  With `max`, a wall shows that many lines, silent nodes first, and counts the rest. */
@customElement('ops-nodes')
export class OpsNodes extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 0.4rem;
    }
    li {
      display: grid;
      grid-template-columns: 0.8rem auto minmax(0, 1fr) auto;
      gap: 0.6rem;
      align-items: center;
      font-size: 1.125rem;
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
    }
    .dot {
      width: 0.8rem;
      height: 0.8rem;
      border-radius: 50%;
      background: #5ef08f;
    }
    li[data-stale] .dot {
      background: #ff8a80;
    }
    .more {
      color: #b8bfd0;
    }
    .role {
      font-weight: 700;
      text-transform: uppercase;
    }
    .id {
      color: #b8bfd0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .leader {
      color: #f2c14e;
      font-weight: 700;
    }
  `;

  @property({ attribute: false }) nodes: OpsNode[] = [];
  @property({ type: Number }) now = Date.now();
  @property({ type: Number }) max = Infinity;

  override render() {
    if (this.nodes.length === 0) return html`<p>No heartbeats.</p>`;
    const ordered = [...this.nodes].sort((a, b) => Number(b.stale) - Number(a.stale) || Number(b.leader) - Number(a.leader));
    const room = ordered.length > this.max ? Math.max(0, this.max - 1) : ordered.length;
    const hidden = ordered.slice(room);
    return html`<ul>
      ${repeat(
        ordered.slice(0, room),
        (n) => n.id,
        (n) => html`<li data-testid="node" data-role=${n.role} ?data-stale=${n.stale}>
          <span class="dot" aria-label=${n.stale ? 'silent' : 'healthy'}></span>
          <span class="role">${n.role}${n.leader ? html` <span class="leader" data-testid="leader">★ leader</span>` : ''}</span>
          <span class="id" title=${`${details(n)} (${n.id})`}>${details(n)}</span>
          <span>${Math.max(0, Math.round((this.now - n.at) / 1000))} s ago</span>
        </li>`,
      )}
      ${hidden.length
        ? html`<li class="more" data-testid="nodes-more">+ ${hidden.length} more${hidden.some((n) => n.stale) ? '' : ', all healthy'}</li>`
        : ''}
    </ul>`;
  }
}

/** host:pid, and for a gateway its sockets and p99; cut with "…" when the line is short */
function details(n: OpsNode): string {
  return `${n.host}:${n.pid}${n.sockets !== undefined ? ` · ${n.sockets} sockets` : ''}${typeof n.p99 === 'number' ? ` · p99 ${n.p99} ms` : ''}${n.clockSkewMs ? ` · clock skew ${n.clockSkewMs} ms` : ''}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-nodes': OpsNodes;
  }
}
