import { describe, expect, it } from 'vitest';
import { TELEGRAM_MAX_PHOTO_BYTES, uploadMethod } from './send.js';

describe('uploadMethod', () => {
  it('sends JPEG, PNG and WebP up to 10 MB as photos, bigger ones as documents', () => {
    expect(uploadMethod('image/png', 1_000)).toBe('sendPhoto');
    expect(uploadMethod('image/jpeg', TELEGRAM_MAX_PHOTO_BYTES)).toBe('sendPhoto');
    expect(uploadMethod('image/webp', 5)).toBe('sendPhoto');
    expect(uploadMethod('image/png', TELEGRAM_MAX_PHOTO_BYTES + 1)).toBe('sendDocument');
    expect(uploadMethod('image/gif', 5)).toBe('sendDocument');
  });

  it('sends OGG as a voice note, MP3/M4A as audio, other audio as a document', () => {
    expect(uploadMethod('audio/ogg', 5)).toBe('sendVoice');
    expect(uploadMethod('audio/ogg; codecs=opus', 5)).toBe('sendVoice');
    expect(uploadMethod('audio/mpeg', 5)).toBe('sendAudio');
    expect(uploadMethod('audio/mp4', 5)).toBe('sendAudio');
    expect(uploadMethod('audio/wav', 5)).toBe('sendDocument');
  });

  it('sends everything else as a document', () => {
    expect(uploadMethod('application/pdf', 5)).toBe('sendDocument');
    expect(uploadMethod('application/octet-stream', 5)).toBe('sendDocument');
  });
});
