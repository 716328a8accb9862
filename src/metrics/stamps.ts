/**
 * A packet's two times, handed between hot-path stages in a Float64Array rather than as
 * arguments: a double passed to a call V8 does not inline is boxed (a heap number per packet).
 * The NIC's ring writer and the subscriber's deliveries both use this layout.
 */
/** The packet's scheduled wire time (monotonic ns): latency without coordinated omission. */
export const STAMP_SCHEDULED = 0;
/** When the NIC actually sent it (monotonic ns). */
export const STAMP_SENT = 1;

export function newStamps(): Float64Array {
  return new Float64Array(2);
}
