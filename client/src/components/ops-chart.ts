import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { formatClock } from './ops-format.ts';

export interface ChartSeries {
  label: string;
  color: string;
  values: number[];
}

// Axis type for a wall read from across a room. A time label is at most "23:59:59" (about 80 px
// at this size), so ticks at least TICK_SPACE_PX apart never collide.
const AXIS_FONT_PX = 18;
const AXIS_FONT = `600 ${AXIS_FONT_PX}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif`;
const TICK_SPACE_PX = 100;
const LABEL_HALF_PX = 44;
// tick steps in seconds: whole seconds to whole hours, no odd steps like 7 s
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const FALLBACK_HEIGHT = 160;
/** what the board keeps of history: 5 minutes */
const WINDOW_S = 300;

/**
 * A line chart over time (uPlot). The plot is built once and fed with setData, so a new point
 * moves the lines without rebuilding the canvas (no flicker on a wall screen). It fills the
 * height its container gives it (the board's grid decides), and reads time in 24 hours.
 */
@customElement('ops-chart')
export class OpsChart extends LitElement {
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-width: 0;
        min-height: 0;
      }
      h3 {
        margin: 0 0 0.25rem;
        font-size: 1.125rem;
        font-weight: 600;
        color: #b8bfd0;
        line-height: 1.3;
      }
      .plot {
        flex: 1 1 0;
        min-height: 0;
        width: 100%;
        overflow: hidden;
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
    const axis = { stroke: '#b8bfd0', font: AXIS_FONT, grid: { stroke: '#2a3142', width: 1 }, ticks: { stroke: '#2a3142' } };
    const size = () => ({ width: el.clientWidth || 600, height: el.clientHeight || FALLBACK_HEIGHT });
    this.plot = new uPlot(
      {
        ...size(),
        // room on the right for half of the last time label, which is centred on its tick
        padding: [AXIS_FONT_PX / 2, LABEL_HALF_PX, 0, 0],
        legend: { show: false },
        cursor: { show: false },
        // a fixed window ending at the newest point: the time axis keeps its ticks and the
        // line grows in from the right instead of the axis stretching a few seconds over the width
        scales: { x: { time: true, range: (_u, _min, max) => [max - WINDOW_S, max] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [
          {
            ...axis, space: TICK_SPACE_PX, incrs: TIME_STEPS, size: AXIS_FONT_PX * 2,
            values: (_u, splits, _axis, _space, step) => splits.map((t) => formatClock(t * 1000, step % 60 !== 0)),
          },
          { ...axis, size: 72, space: AXIS_FONT_PX * 2 },
        ],
        series: [{}, ...this.series.map((s) => ({ label: s.label, stroke: s.color, width: 3, points: { show: false } }))],
      },
      this.data(),
      el,
    );
    this.resize = new ResizeObserver(() => this.plot?.setSize(size()));
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
