/** A mebibyte: what the host's `MB` limits (MEDIA_MAX_MB, the channels' file limits) count in. */
export const MB = 1024 * 1024;

/** `60.0 MB`, or with `digits` 0 and a whole number `50 MB`; 1 GB and up in GB. */
export function formatSize(bytes: number, digits = 1): string {
  const [value, unit] = bytes >= 1024 * MB ? [bytes / (1024 * MB), 'GB'] : [bytes / MB, 'MB'];
  const shown = digits === 0 && !Number.isInteger(value) ? value.toFixed(1) : value.toFixed(digits);
  return `${shown} ${unit}`;
}
