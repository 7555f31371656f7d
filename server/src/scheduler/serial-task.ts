// A task whose passes never overlap: run() during a pass asks for ONE more pass after it (however
// often it is asked meanwhile) and returns the pass in flight. The leader's schedule pass and its
// refresh from Postgres are both driven by timers and pub/sub at once; this keeps each serial
// without dropping a request that came in during a pass.
export class SerialTask {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    /** false once no further pass may start (e.g. the leader term stopped) */
    private readonly mayRun: () => boolean,
    /** after a pass that no request is waiting behind */
    private readonly onIdle: () => void = () => {},
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.task()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (this.again && this.mayRun()) {
          this.again = false;
          void this.run();
        } else {
          this.onIdle();
        }
      });
    return this.running;
  }

  /** the pass in flight, if any (a stop waits for it) */
  get inFlight(): Promise<void> | null {
    return this.running;
  }
}
