/**
 * BullMQ job ids: BullMQ rejects ids containing ':' (its key separator) and ids that parse as integers (they
 * collide with its own counter). Event ids come from the scorer and may contain either, so encode them:
 * '%' → '%25', ':' → '%3A', and prefix an integer-looking result with '%N'. Injective — every '%' of the input
 * becomes '%25', so '%3A' and '%N' only ever come from the encoding — hence two different DispatchMessage
 * jobIds never share a BullMQ id and the same one always maps to the same id (dedupe holds).
 */
export function toBullJobId(jobId: string): string {
  if (jobId.length === 0) throw new TypeError('jobId must not be empty (BullMQ would assign a random id and dedupe would be lost)');
  const escaped = jobId.replace(/%/g, '%25').replace(/:/g, '%3A');
  return `${Number.parseInt(escaped, 10)}` === escaped ? `%N${escaped}` : escaped;
}

/** Inverse of {@link toBullJobId}, for logs and tools that read BullMQ directly. */
export function fromBullJobId(bullId: string): string {
  const body = bullId.startsWith('%N') ? bullId.slice(2) : bullId;
  return body.replace(/%(25|3A)/g, (m) => (m === '%25' ? '%' : ':'));
}
