/** A request as the simulator saw it, before answering: what a fault's `when` is given. */
export interface SimulatorRequest {
  readonly method: string;
  /** The URL path, e.g. `/cgi-bin/message/custom/send`. */
  readonly path: string;
  /** Query parameters without `access_token`; `secret` is replaced by `[redacted]`. */
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body (`secret` redacted), or undefined when the body was empty or not JSON. */
  readonly body: unknown;
  /** `now()` when the request arrived, in milliseconds. */
  readonly time: number;
}

/** Something going wrong on WeChat's side, for the next matching request(s). */
export interface Fault {
  /** The URL path the fault applies to, e.g. `/cgi-bin/token`. */
  readonly path: string;
  /** Answered (HTTP 200 unless `httpStatus`) instead of the real result. */
  readonly errcode?: number;
  /** Answered instead of the real result, e.g. 502; with `errcode`, the body is that errcode's JSON. */
  readonly httpStatus?: number;
  /** Waits this long first; alone, the real result follows (so a client that timed out still "sent"). */
  readonly latencyMs?: number;
  /** Destroys the socket without answering. */
  readonly dropConnection?: boolean;
  /** How many matching requests it applies to; default 1, `Infinity` allowed. */
  readonly times?: number;
  /** Applies only to requests for which this returns true. */
  readonly when?: (request: SimulatorRequest) => boolean;
}

export interface FaultList {
  add(fault: Fault): void;
  /** The first fault, in the order added, that matches this request; consumes one of its `times`. */
  take(request: SimulatorRequest): Fault | undefined;
  clear(): void;
}

/**
 * Faults applied in the order they were injected.
 * @throws RangeError from `add` for a fault that could never apply or that answers nothing sensible
 */
export function createFaultList(): FaultList {
  const faults: { readonly fault: Fault; remaining: number }[] = [];
  return {
    add(fault) {
      const times = fault.times ?? 1;
      if (!fault.path.startsWith('/')) throw new RangeError(`fault path must start with "/": ${fault.path}`);
      if (!(times === Number.POSITIVE_INFINITY || (Number.isSafeInteger(times) && times > 0))) {
        throw new RangeError(`fault times must be a positive integer or Infinity: ${times}`);
      }
      if (
        fault.httpStatus !== undefined &&
        !(Number.isInteger(fault.httpStatus) && fault.httpStatus >= 200 && fault.httpStatus <= 599)
      ) {
        throw new RangeError(`fault httpStatus must be an HTTP status: ${fault.httpStatus}`);
      }
      if (fault.latencyMs !== undefined && !(fault.latencyMs >= 0)) throw new RangeError('fault latencyMs must be ≥ 0');
      if (
        fault.errcode === undefined &&
        fault.httpStatus === undefined &&
        fault.latencyMs === undefined &&
        fault.dropConnection !== true
      ) {
        throw new RangeError('a fault needs errcode, httpStatus, latencyMs or dropConnection');
      }
      faults.push({ fault, remaining: times });
    },
    take(request) {
      const entry = faults.find(
        ({ fault, remaining }) => remaining > 0 && fault.path === request.path && (fault.when?.(request) ?? true),
      );
      if (entry === undefined) return undefined;
      entry.remaining -= 1;
      return entry.fault;
    },
    clear() {
      faults.length = 0;
    },
  };
}
