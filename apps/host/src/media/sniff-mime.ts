import { fileTypeFromBuffer } from 'file-type';
import mime from 'mime-types';

/** What a file is, judged by its bytes rather than by what the platform or its name claims. */
export interface SniffedType {
  /** The bytes' type (magic numbers); else `text/plain` (or the name's text type) for UTF-8 text; else octet-stream. */
  mimeType: string;
  /** The extension that type is written with (`png`), when one is known. */
  extension?: string;
  /** False when the name claims another type than the bytes are (a `.jpg` that is a PDF). */
  matchesName: boolean;
}

const OCTET_STREAM = 'application/octet-stream';
/** How much of a file decides whether it is text. */
const TEXT_PROBE_BYTES = 64 * 1024;

/** The type of `bytes`, and whether `name`'s extension agrees with it. */
export async function sniffMime(bytes: Uint8Array, name: string): Promise<SniffedType> {
  const claimed = mime.lookup(name) || undefined;
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) {
    const mimeType = baseType(detected.mime);
    return { mimeType, extension: detected.ext, matchesName: agrees(claimed, mimeType, detected.ext) };
  }
  if (isText(bytes)) {
    const mimeType = claimed && isTextType(claimed) ? claimed : 'text/plain';
    return {
      mimeType,
      extension: mime.extension(mimeType) || 'txt',
      matchesName: !claimed || isTextType(claimed),
    };
  }
  return { mimeType: OCTET_STREAM, matchesName: !claimed || claimed === OCTET_STREAM };
}

function baseType(type: string): string {
  return type.split(';')[0]?.trim().toLowerCase() ?? type;
}

function agrees(claimed: string | undefined, actual: string, extension: string): boolean {
  if (!claimed) return true;
  if (baseType(claimed) === actual) return true;
  // Several names for one format (`.oga`/`.opus`/`.ogg`, `.m4a` as audio/mp4 or audio/x-m4a).
  return mime.lookup(`x.${extension}`) === claimed || family(claimed) === family(actual);
}

/** Formats that go by several MIME names. */
function family(type: string): string {
  const base = baseType(type);
  if (/^(audio|video|application)\/(ogg|opus)$/.test(base)) return 'ogg';
  if (/^audio\/(mp4|x-m4a|m4a|aac)$/.test(base)) return 'm4a';
  if (/^audio\/(wav|wave|x-wav|vnd\.wave)$/.test(base)) return 'wav';
  if (/^audio\/(mpeg|mp3)$/.test(base)) return 'mp3';
  return base;
}

function isTextType(type: string): boolean {
  return (
    type.startsWith('text/') ||
    /^application\/(json|xml|x-yaml|yaml|javascript|x-sh|toml|ld\+json)$/.test(type) ||
    type === 'image/svg+xml'
  );
}

/** UTF-8 without NUL bytes in the first 64 KB (a multi-byte character cut at the probe's end is fine). */
function isText(bytes: Uint8Array): boolean {
  const probe = bytes.subarray(0, TEXT_PROBE_BYTES);
  if (probe.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(probe, { stream: bytes.length > TEXT_PROBE_BYTES });
    return true;
  } catch {
    return false;
  }
}
