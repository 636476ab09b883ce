import { type ChannelRegistry, registerChannel } from '@nanoclaw/channel-registry';
import { slackChannel } from './slack-factory.js';

/** Registers the Slack factory (default: into the registry's process-wide `defaultChannelRegistry`). */
export function registerSlackChannel(registry?: ChannelRegistry): void {
  if (registry) registerChannel(slackChannel, registry);
  else registerChannel(slackChannel);
}
