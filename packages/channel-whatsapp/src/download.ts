import { collectCapped } from '@nanoclaw/channel-registry';
import type { DownloadAttachmentOptions } from '@nanoclaw/core';
import { downloadContentFromMessage } from 'baileys';
import { decodeMediaRef, type WhatsAppMediaRef } from './media-ref.js';

/** Fetches and decrypts one media file from WhatsApp's CDN (needs the network, not the socket). */
export type DownloadMedia = (
  media: WhatsAppMediaRef,
  options?: DownloadAttachmentOptions,
) => Promise<Uint8Array>;

export const downloadFromWhatsApp: DownloadMedia = async (media, options = {}) => {
  const stream = await downloadContentFromMessage(
    {
      mediaKey: Buffer.from(media.mediaKey, 'base64'),
      ...(media.directPath ? { directPath: media.directPath } : {}),
      ...(media.url ? { url: media.url } : {}),
    },
    media.type,
  );
  try {
    return await collectCapped(stream as AsyncIterable<Uint8Array>, options);
  } finally {
    stream.destroy();
  }
};

/** The bytes behind an inbound attachment `ref` (`wa-media:v1:…`). */
export function downloadAttachmentRef(
  ref: string,
  download: DownloadMedia = downloadFromWhatsApp,
  options?: DownloadAttachmentOptions,
): Promise<Uint8Array> {
  return download(decodeMediaRef(ref), options);
}
