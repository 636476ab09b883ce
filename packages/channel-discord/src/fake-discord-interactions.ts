/**
 * The fake Discord's interactive side, as plain payload builders and checks: message components (action rows of
 * buttons) as Discord validates them, the INTERACTION_CREATE of a button tap, and DM channels.
 */

/** A button of a posted message, as the fake read it from its `components`. */
export interface FakeDiscordButton {
  label: string;
  /** The button's `custom_id`: what a tap carries back. */
  data: string;
}

/** A message the bot posted with buttons (a card). */
export interface FakeDiscordCard {
  /** The channel (for a thread: its parent channel), as the channel adapter names chats. */
  chatId: string;
  /** Set when the card went into a thread. */
  threadId?: string;
  platformMessageId: string;
  text: string;
  buttons: readonly FakeDiscordButton[];
  /** Each button's Discord style, in the same order (1 primary, 2 secondary, ...). */
  styles: readonly number[];
}

/** Who taps: a guild member in a guild channel, the user in a DM. */
export interface FakeDiscordTapper {
  id: string;
  /** Shown as the global name; default none (the username is `user-<id>`). */
  name?: string;
  bot?: boolean;
}

export interface FakeDiscordTapInput {
  card: Pick<FakeDiscordCard, 'platformMessageId'>;
  /** The `custom_id` the tap carries: a button's, or a forged one no button has. */
  data: string;
  user: FakeDiscordTapper;
}

/** An INTERACTION_CREATE the fake dispatched for a tap. */
export interface FakeDiscordTap {
  /** The interaction id (the adapter's `platformActionId`); the same on `replayTap`. */
  platformActionId: string;
  /** The INTERACTION_CREATE `d`. */
  payload: Record<string, unknown>;
  /** Resolves with the text of the bot's first answer to this interaction (default wait 15 s). */
  answered(timeoutMs?: number): Promise<string>;
}

/** An interaction callback the bot made (`POST /interactions/:id/:token/callback`). */
export interface FakeDiscordInteractionAnswer {
  interactionId: string;
  /** 4 CHANNEL_MESSAGE_WITH_SOURCE, 5 deferred, ... */
  type: number;
  content: string;
  /** Flag 64: only the tapper sees it. */
  ephemeral: boolean;
}

/** Where a channel lives: a guild channel or thread, or a DM with a user. */
export type FakeDiscordPlace =
  | { kind: 'guild'; guildId: string; channelId: string; threadParentId?: string }
  | { kind: 'dm'; channelId: string; userId: string };

const MAX_ROWS = 5;
const MAX_BUTTONS_PER_ROW = 5;
const MAX_CUSTOM_ID = 100;
const MAX_LABEL = 80;

/** What Discord's 50035 Invalid Form Body would name in these `components`, or undefined when they are fine. */
export function componentsError(components: unknown): string | undefined {
  if (!Array.isArray(components)) return 'components must be an array';
  if (components.length > MAX_ROWS) return `at most ${MAX_ROWS} action rows`;
  for (const row of components as Array<Record<string, unknown>>) {
    if (row?.type !== 1 || !Array.isArray(row.components))
      return 'a top-level component must be an action row';
    const buttons = row.components as Array<Record<string, unknown>>;
    if (buttons.length < 1 || buttons.length > MAX_BUTTONS_PER_ROW)
      return 'an action row holds 1 to 5 buttons';
    for (const button of buttons) {
      if (button?.type !== 2) return 'only buttons are supported by the fake';
      if (typeof button.custom_id !== 'string' || button.custom_id.length > MAX_CUSTOM_ID)
        return `custom_id must be a string of at most ${MAX_CUSTOM_ID}`;
      if (typeof button.label !== 'string' || button.label.length > MAX_LABEL)
        return `label must be a string of at most ${MAX_LABEL}`;
    }
  }
  return undefined;
}

/** The buttons of valid `components`, row by row, and their styles. */
export function buttonsOf(components: unknown): Pick<FakeDiscordCard, 'buttons' | 'styles'> {
  const all = Array.isArray(components)
    ? (components as Array<{ components?: Array<Record<string, unknown>> }>).flatMap(
        (row) => row.components ?? [],
      )
    : [];
  return {
    buttons: all.map((button) => ({
      label: String(button.label ?? ''),
      data: String(button.custom_id ?? ''),
    })),
    styles: all.map((button) => Number(button.style ?? 0)),
  };
}

export function fakeUser(tapper: FakeDiscordTapper): Record<string, unknown> {
  return {
    id: tapper.id,
    username: `user-${tapper.id}`.toLowerCase().slice(0, 32),
    global_name: tapper.name ?? null,
    discriminator: '0',
    avatar: null,
    ...(tapper.bot ? { bot: true } : {}),
  };
}

/** A guild member without a nickname, as a message or an interaction carries it. */
export function fakeMember(): Record<string, unknown> {
  return { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, nick: null };
}

/** A DM channel as `POST /users/@me/channels` answers it. */
export function dmChannelPayload(channelId: string, userId: string): Record<string, unknown> {
  return {
    id: channelId,
    type: 1,
    last_message_id: null,
    flags: 0,
    recipients: [fakeUser({ id: userId })],
  };
}

/** The partial channel an interaction carries. */
function interactionChannel(place: FakeDiscordPlace): Record<string, unknown> {
  if (place.kind === 'dm') return dmChannelPayload(place.channelId, place.userId);
  return {
    id: place.channelId,
    type: place.threadParentId ? 11 : 0,
    guild_id: place.guildId,
    name: `channel-${place.channelId}`,
    ...(place.threadParentId ? { parent_id: place.threadParentId } : {}),
    flags: 0,
    permissions: '2248473465835073',
  };
}

/** The INTERACTION_CREATE `d` of a button tap (type 3 MESSAGE_COMPONENT, component_type 2), as Discord sends it. */
export function buttonInteractionPayload(input: {
  id: string;
  token: string;
  applicationId: string;
  place: FakeDiscordPlace;
  message: Record<string, unknown>;
  user: FakeDiscordTapper;
  data: string;
}): Record<string, unknown> {
  const { place } = input;
  const user = fakeUser(input.user);
  const who =
    place.kind === 'guild'
      ? {
          guild_id: place.guildId,
          guild_locale: 'en-US',
          member: { ...fakeMember(), user, permissions: '2248473465835073' },
          context: 0,
        }
      : { user, context: 1 };
  return {
    id: input.id,
    application_id: input.applicationId,
    type: 3,
    token: input.token,
    version: 1,
    channel_id: place.channelId,
    channel: interactionChannel(place),
    message: input.message,
    data: { custom_id: input.data, component_type: 2 },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': place.kind === 'guild' ? place.guildId : user.id },
    attachment_size_limit: 10_485_760,
    ...who,
  };
}
