import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';

export interface ChartSeries {
  label: string;
  color: string;
  values: number[];
}

/**
 * A line chart over time (uPlot). The plot is built once and fed with setData, so a new point
 * moves the lines without rebuilding the canvas (no flicker on a wall screen).
 */
@customElement('ops-chart')
export class OpsChart extends LitElement {
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        min-width: 0;
      }
      h3 {
        margin: 0 0 0.25rem;
        font-size: 1rem;
        font-weight: 600;
        color: #b8bfd0;
      }
      .plot {
        width: 100%;
        height: 220px;
      }
      .u-legend {
        color: #dfe4ee;
        font-size: 0.875rem;
      }
    `,
  ];

  @property() heading = '';
  /** epoch ms */
  @property({ attribute: false }) times: number[] = [];
  @property({ attribute: false }) series: ChartSeries[] = [];

  private plot: uPlot | null = null;
  private resize: ResizeObserver | null = null;

  override render() {
    return html`<h3>${this.heading}</h3><div class="plot" data-testid="chart-${this.id}"></div>`;
  }

  protected override firstUpdated(): void {
    const el = this.renderRoot.querySelector<HTMLElement>('.plot')!;
    const axis = { stroke: '#9aa3b5', grid: { stroke: '#2a3142', width: 1 }, ticks: { stroke: '#2a3142' } };
    this.plot = new uPlot(
      {
        width: el.clientWidth || 600,
        height: 220,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [axis, { ...axis, size: 60 }],
        series: [{}, ...this.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false } }))],
      },
      this.data(),
      el,
    );
    this.resize = new ResizeObserver(() => this.plot?.setSize({ width: el.clientWidth || 600, height: 220 }));
    this.resize.observe(el);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (this.plot && (changed.has('times') || changed.has('series'))) this.plot.setData(this.data());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** How many times the plot was fed (the e2e test watches it move). */
  get points(): number {
    return this.times.length;
  }

  private data(): uPlot.AlignedData {
    return [this.times.map((t) => t / 1000), ...this.series.map((s) => s.values)];
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-chart': OpsChart;
  }
}
