// What the load drivers (soak.mjs, load.mjs) share: negotiate, percentiles,
// the progress heartbeat and the stall detector that replaces wall-clock budgets.
import { performance } from "node:perf_hooks";

/** The client access URL the app's negotiate function hands `user`. */
export async function accessUrl(host, user) {
  const response = await fetch(`${host}/api/negotiate`, {
    headers: { "x-ms-client-principal-name": user },
  });
  if (response.status !== 200) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()).url;
}

/** The p-th percentile of an ascending array (nearest rank), or null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Milliseconds, to a tenth, on a clock every driver in this process shares. */
export function now() {
  return Math.round(performance.now() * 10) / 10;
}

/** One JSON line on stdout: the Python side reads them as they come. */
export function emit(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

/**
 * Exit once everything written to stdout has left: on a pipe, writes are
 * asynchronous and process.exit() would cut a long report line (at 64 KiB).
 */
export function exitAfterOutput(code) {
  process.stdout.write("", () => process.exit(code));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Counts progress (acks, deliveries, failures) and notices when it stops.
 *
 * Every second it prints a heartbeat line ({"progress": n}) so the caller can
 * tell a slow run from a hung one. `stalled` resolves once nothing has
 * progressed for `stallMs` while work was owed (`busy()` true).
 */
export class Watchdog {
  constructor(stallMs, busy) {
    this.count = 0;
    this.stallMs = stallMs;
    this.isStalled = false;
    let last = -1;
    let since = Date.now();
    this.stalled = new Promise((resolve) => {
      this.timer = setInterval(() => {
        emit({ progress: this.count });
        if (this.count !== last || !busy()) {
          last = this.count;
          since = Date.now();
        } else if (Date.now() - since >= stallMs) {
          this.isStalled = true;
          resolve();
        }
      }, 1000);
    });
  }

  tick(n = 1) {
    this.count += n;
  }

  stop() {
    clearInterval(this.timer);
  }
}

/** Resolves with `promise`'s value, or with `fallback` after `ms`. */
export function within(promise, ms, fallback = undefined) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
