import { downloadContentFromMessage } from 'baileys';
import { decodeMediaRef, type WhatsAppMediaRef } from './media-ref.js';

/** Fetches and decrypts one media file from WhatsApp's CDN (needs the network, not the socket). */
export type DownloadMedia = (media: WhatsAppMediaRef) => Promise<Uint8Array>;

export const downloadFromWhatsApp: DownloadMedia = async (media) => {
  const stream = await downloadContentFromMessage(
    {
      mediaKey: Buffer.from(media.mediaKey, 'base64'),
      ...(media.directPath ? { directPath: media.directPath } : {}),
      ...(media.url ? { url: media.url } : {}),
    },
    media.type,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** The bytes behind an inbound attachment `ref` (`wa-media:v1:…`). */
export function downloadAttachmentRef(
  ref: string,
  download: DownloadMedia = downloadFromWhatsApp,
): Promise<Uint8Array> {
  return download(decodeMediaRef(ref));
}
