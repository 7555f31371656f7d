// Scales the ops board to the screen it is on. The board is laid out once, for a 1920x1080 wall;
// on any other screen the whole layout is zoomed by the same factor (0.71 on a 1366x768 laptop,
// 2 on a 3840x2160 wall at device pixel ratio 1) instead of reflowing, so what fits the wall fits
// everywhere and nothing moves between screens. The spare length of a screen whose shape is not
// 16:9 goes to the board's flexible parts (deal table rows, charts).
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export const WALL_WIDTH = 1920;
export const WALL_HEIGHT = 1080;

export class WallFit implements ReactiveController {
  private on = false;
  private readonly onResize = () => this.apply();

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  /** fit the board to the window (true) or leave the host to its own styles (the token form) */
  set enabled(on: boolean) {
    if (on === this.on) return;
    this.on = on;
    this.apply();
  }

  hostConnected(): void {
    addEventListener('resize', this.onResize);
    this.apply();
  }

  hostDisconnected(): void {
    removeEventListener('resize', this.onResize);
  }

  private apply(): void {
    const s = this.host.style;
    if (!this.on) {
      s.removeProperty('zoom');
      s.removeProperty('width');
      s.removeProperty('height');
      return;
    }
    const scale = Math.min(innerWidth / WALL_WIDTH, innerHeight / WALL_HEIGHT);
    s.setProperty('zoom', String(scale));
    // floor: the zoomed board must not pass the window's edge by a fraction and show a scrollbar
    s.width = `${Math.floor(innerWidth / scale)}px`;
    s.height = `${Math.floor(innerHeight / scale)}px`;
  }
}
