/**
 * True when `stream` is a terminal that animations can redraw: it must report a width. A
 * pseudo-terminal of 0 columns (`script </dev/null`, some CI runners) makes spinners and bars
 * compute endless line clears, so it gets plain lines instead.
 */
export function canAnimate(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0;
}
