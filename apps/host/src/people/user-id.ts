import { PeopleError } from './people-error.js';

/** A person on one platform: `<platform>:<platform user id>`, e.g. `telegram:12345` or `slack:U024BE7LH`. */
export interface UserId {
  /** The whole id, as stored and shown. */
  id: string;
  platform: string;
  platformUserId: string;
}

const PLATFORM = /^[a-z][a-z0-9-]{0,63}$/;

/** Parses `<platform>:<id>`; the error names the expected form. */
export function parseUserId(value: string): UserId {
  const cut = value.indexOf(':');
  const platform = cut > 0 ? value.slice(0, cut) : '';
  const platformUserId = cut > 0 ? value.slice(cut + 1) : '';
  if (!PLATFORM.test(platform) || platformUserId.length === 0 || platformUserId.length > 256) {
    throw new PeopleError(
      'invalid',
      `"${value}" is not a user id: use <platform>:<id>, e.g. telegram:12345 or slack:U024BE7LH`,
    );
  }
  if (/\s/.test(platformUserId)) throw new PeopleError('invalid', `"${value}": a user id has no spaces`);
  return { id: `${platform}:${platformUserId}`, platform, platformUserId };
}

/** The user id of a message's sender: the channel type and the platform's own sender id. */
export function senderUserId(channel: string, senderId: string): string {
  return `${channel}:${senderId}`;
}
