/**
 * The content of a turn's user message: the text, and the turn's images as Anthropic image blocks (base64) so
 * Claude sees them without a tool call. Other files, and images over the API's limits, are named with their
 * absolute path for Claude to Read; a file that cannot be read is named with why, and the turn still runs.
 */
import fs from 'node:fs/promises';
import type { SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { errorMessage, type TurnInput } from '@nanoclaw/core';
import {
  attachmentNote,
  INLINE_IMAGE_TYPES,
  type NativeAttachment,
  sortAttachments,
  withNotes,
} from '@nanoclaw/provider-utils';

export type UserContent = SDKUserMessage['message']['content'];
type ContentBlock = Exclude<UserContent, string>[number];

/** Anthropic's limit for one image is 5 MB of base64 (the API counts the encoded data): 3.75 MB of file. */
export const MAX_INLINE_IMAGE_BYTES = Math.floor((5 * 1024 * 1024 * 3) / 4);
/** All of a turn's inline images together, so a request stays well under the API's 32 MB body limit. */
export const MAX_INLINE_IMAGES_TOTAL_BYTES = 20 * 1024 * 1024;

/** A string when the turn has no image to inline, else the text block followed by the image blocks. */
export async function promptContent(input: TurnInput, cwd: string): Promise<UserContent> {
  let total = 0;
  const sorted = await sortAttachments(input, cwd, (attachment, sizeBytes) => {
    if (!INLINE_IMAGE_TYPES.has(attachment.mimeType) || sizeBytes > MAX_INLINE_IMAGE_BYTES) return false;
    if (total + sizeBytes > MAX_INLINE_IMAGES_TOTAL_BYTES) return false;
    total += sizeBytes;
    return true;
  });
  const images: ContentBlock[] = [];
  const unread: string[] = [];
  for (const image of sorted.native) {
    const block = await imageBlock(image);
    if (typeof block === 'string') unread.push(block);
    else images.push(block);
  }
  const text = withNotes(sorted.text, unread);
  return images.length > 0 ? [{ type: 'text', text }, ...images] : text;
}

/** The image block of one file, or the note naming it when it cannot be read after all. */
async function imageBlock(image: NativeAttachment): Promise<ContentBlock | string> {
  try {
    const data = (await fs.readFile(image.path)).toString('base64');
    const mediaType = image.attachment.mimeType as 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data } };
  } catch (error) {
    return attachmentNote(image.attachment, image.path, `it could not be read (${errorMessage(error)})`);
  }
}
