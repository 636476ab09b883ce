import { pathToFileURL } from 'node:url';
import type { TurnInput } from '@nanoclaw/core';
import { INLINE_IMAGE_TYPES, sortAttachments } from '@nanoclaw/provider-utils';
import type { FilePartInput, TextPartInput } from '@opencode-ai/sdk/v2';

/**
 * The prompt's parts (also for follow-ups, which run as further turns): the text, then each readable image and
 * text file in the group folder as a file part with a `file://` URL (opencode sends an image to the model as an
 * `image_url` data URL, and reads a text file into the prompt); other files (PDFs, audio …) are named in the text
 * with their absolute path for the agent's tools, and a file that cannot be read is named with why (a missing
 * file part would stall the prompt).
 */
export async function promptParts(
  input: TurnInput,
  cwd: string,
): Promise<Array<TextPartInput | FilePartInput>> {
  const sorted = await sortAttachments(
    input,
    cwd,
    (attachment) => INLINE_IMAGE_TYPES.has(attachment.mimeType) || attachment.mimeType.startsWith('text/'),
  );
  const files = sorted.native.map(
    (file): FilePartInput => ({
      type: 'file',
      mime: file.attachment.mimeType,
      filename: file.attachment.name,
      url: pathToFileURL(file.path).href,
    }),
  );
  return [{ type: 'text', text: sorted.text }, ...files];
}
