import type { TurnInput } from '@nanoclaw/core';
import { INLINE_IMAGE_TYPES, sortAttachments } from '@nanoclaw/provider-utils';
import type { ClientParams } from './protocol.js';

type UserInput = ClientParams<'turn/start'>['input'];

/**
 * Codex input items for a turn (`turn/start`, also for follow-ups, which run as further turns): the text, then
 * each readable image in the group folder as a `localImage` (Codex reads it, resizes it to fit and sends it to
 * the model as an `input_image`); other files are named in the text with their absolute path, and a file that
 * cannot be read is named with why.
 */
export async function userInput(input: TurnInput, cwd: string): Promise<UserInput> {
  const sorted = await sortAttachments(input, cwd, (attachment) =>
    INLINE_IMAGE_TYPES.has(attachment.mimeType),
  );
  const images: UserInput = sorted.native.map((image) => ({ type: 'localImage', path: image.path }));
  return [{ type: 'text', text: sorted.text, text_elements: [] }, ...images];
}
