import { CHANNEL_ADAPTER_SPEC_VERSION, NanoclawError } from '@nanoclaw/core';

/**
 * A channel factory or adapter written against another version of the channel interfaces than this host's (like
 * vercel/ai's `UnsupportedModelVersionError`): loading it would fail later, in ways that are hard to read.
 */
export class UnsupportedChannelVersionError extends NanoclawError<'unsupported-channel-version'> {
  readonly channel: string;
  readonly version: unknown;

  constructor(options: { channel: string; part: 'factory' | 'adapter'; version: unknown }) {
    super(
      'unsupported-channel-version',
      `Unsupported channel ${options.part} version ${JSON.stringify(options.version)} for channel "${options.channel}": ` +
        `this host only supports channels that implement specification version "${CHANNEL_ADAPTER_SPEC_VERSION}".`,
    );
    this.name = 'UnsupportedChannelVersionError';
    this.channel = options.channel;
    this.version = options.version;
  }
}

/** Throws `UnsupportedChannelVersionError` unless `subject` implements this host's channel specification version. */
export function assertSupportedChannelVersion(
  subject: { readonly channel: string; readonly specificationVersion?: unknown },
  part: 'factory' | 'adapter',
): void {
  if (subject.specificationVersion === CHANNEL_ADAPTER_SPEC_VERSION) return;
  throw new UnsupportedChannelVersionError({
    channel: subject.channel,
    part,
    version: subject.specificationVersion,
  });
}
