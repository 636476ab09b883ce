import type { CardAction, CardOption } from '@nanoclaw/core';
import {
  ActionRowBuilder,
  type APIActionRowComponent,
  type APIButtonComponent,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  type Client,
} from 'discord.js';

/** Discord's limits for a message with buttons. */
export const DISCORD_BUTTONS_PER_ROW = 5;
export const DISCORD_MAX_CARD_OPTIONS = 10;
export const DISCORD_MAX_BUTTON_LABEL = 80;

/**
 * A card's options as Discord action rows (at most 5 buttons each), in order: the first option is the primary
 * button, the others secondary; `custom_id` is the option's data, verbatim.
 */
export function cardComponents(options: readonly CardOption[]): APIActionRowComponent<APIButtonComponent>[] {
  const rows: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let start = 0; start < options.length; start += DISCORD_BUTTONS_PER_ROW) {
    const buttons = options.slice(start, start + DISCORD_BUTTONS_PER_ROW).map((option, i) =>
      new ButtonBuilder()
        .setCustomId(option.data)
        .setLabel(truncate(option.label, DISCORD_MAX_BUTTON_LABEL))
        .setStyle(start + i === 0 ? ButtonStyle.Primary : ButtonStyle.Secondary),
    );
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON());
  }
  return rows;
}

/** `text` cut to `max` characters, the last one an ellipsis when it was longer. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export interface DiscordTapContext {
  accountId: string;
  botUserId: string;
  /** Relay taps of other bots too (never the bot's own). */
  allowBots: boolean;
}

/** A button tap as the host's `CardAction`, or why it is not one (logged and dropped). */
export type DiscordTap = { action: CardAction } | { ignored: string };

/** Reads a tap on a card's button; one without a `custom_id`, a user or a channel, or by a bot, is not a card action. */
export function toCardAction(interaction: ButtonInteraction, context: DiscordTapContext): DiscordTap {
  const data: unknown = interaction.customId;
  if (typeof data !== 'string' || data === '') return { ignored: 'button tap without a custom_id' };
  const user = interaction.user;
  if (!user?.id) return { ignored: 'button tap without a user' };
  if (user.id === context.botUserId) return { ignored: 'button tap by the bot itself' };
  if (user.bot && !context.allowBots) return { ignored: 'button tap by another bot' };
  const channelId = interaction.channelId;
  if (!channelId) return { ignored: 'button tap without a channel' };
  const name =
    (interaction.inCachedGuild() ? interaction.member.displayName : undefined) ??
    user.globalName ??
    user.username;
  return {
    action: {
      channel: 'discord',
      accountId: context.accountId,
      chatId: parentOfThread(interaction) ?? channelId,
      platformActionId: interaction.id,
      ...(interaction.message?.id ? { platformMessageId: interaction.message.id } : {}),
      user: {
        id: user.id,
        ...(name ? { name: name.slice(0, 256) } : {}),
        ...(user.bot ? { isBot: true } : {}),
      },
      data,
    },
  };
}

/** A card in a thread belongs to the parent channel's chat, as the thread's messages do. */
function parentOfThread(interaction: ButtonInteraction): string | undefined {
  const channel = interaction.channel;
  if (!channel?.isThread()) return undefined;
  return channel.parentId ?? undefined;
}

interface InteractionCreateAction {
  handle(data: unknown): unknown;
}

/**
 * discord.js builds an interaction from INTERACTION_CREATE without checking it and throws from inside the gateway's
 * message handler on one it cannot read (no `data`, no user, no message): an unhandled rejection that would stop
 * the host. This wraps that step (discord.js's internal `client.actions.InteractionCreate`) so such a payload is
 * reported and dropped instead. Returns false when this discord.js has no such step (nothing is wrapped then).
 */
export function guardInteractionParsing(client: Client, onMalformed: (error: unknown) => void): boolean {
  const actions = (client as unknown as { actions?: { InteractionCreate?: InteractionCreateAction } })
    .actions;
  const action = actions?.InteractionCreate;
  if (typeof action?.handle !== 'function') return false;
  const handle = action.handle.bind(action);
  action.handle = (data) => {
    try {
      return handle(data);
    } catch (error) {
      onMalformed(error);
      return undefined;
    }
  };
  return true;
}
