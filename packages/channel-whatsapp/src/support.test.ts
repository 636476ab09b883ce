import { type LogLine, memoryLogger } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { statusCodeOf, toChannelError } from './errors.js';
import { decodeMediaRef, encodeMediaRef, toBase64 } from './media-ref.js';
import { printQrToTerminal } from './qr.js';
import { toBaileysLogger } from './socket.js';
import { boom } from './test-utils/fake-whatsapp.js';

describe('media refs', () => {
  it('round-trip and refuse foreign refs', () => {
    const ref = encodeMediaRef({ type: 'document', mediaKey: 'a2V5', directPath: '/x.enc' });
    expect(ref.startsWith('wa-media:v1:')).toBe(true);
    expect(decodeMediaRef(ref)).toEqual({ type: 'document', mediaKey: 'a2V5', directPath: '/x.enc' });
    expect(() => decodeMediaRef('AgACAgIAAx0')).toThrow(/not a WhatsApp media ref/);
  });

  it('reads media keys as bytes, base64 or Buffer JSON', () => {
    expect(toBase64(new Uint8Array([1, 2, 3]))).toBe('AQID');
    expect(toBase64('AQID')).toBe('AQID');
    expect(toBase64({ type: 'Buffer', data: 'AQID' })).toBe('AQID');
    expect(toBase64({ type: 'Buffer', data: [1, 2, 3] })).toBe('AQID');
    expect(toBase64(null)).toBeUndefined();
  });
});

describe('errors', () => {
  it('maps rate limits, permanent and transient failures', () => {
    expect(statusCodeOf(boom(429, 'x'))).toBe(429);
    expect(toChannelError(boom(429, 'rate-overlimit'), 'send').retryAfterMs).toBe(5000);
    expect(toChannelError(boom(429, 'rate-overlimit', { retryAfterMs: 1200 }), 'send').retryAfterMs).toBe(
      1200,
    );
    expect(toChannelError(new Error('rate-overlimit'), 'send').retryAfterMs).toBe(5000);
    expect(toChannelError(boom(403, 'not-authorized'), 'send').permanent).toBe(true);
    expect(toChannelError(boom(428, 'Connection Closed'), 'send').permanent).toBe(false);
    expect(toChannelError('weird', 'send').message).toBe('whatsapp send failed: weird');
  });
});

describe('toBaileysLogger', () => {
  it('forwards warn and error, drops the chatter below the level', () => {
    const lines: LogLine[] = [];
    const logger = memoryLogger(lines);
    const baileys = toBaileysLogger(logger);
    baileys.debug({ frame: 1 }, 'recv');
    baileys.info('connected');
    baileys.warn({ retry: 2 }, 'retrying');
    baileys.child({ class: 'socket' }).error('boom');
    expect(lines).toEqual([
      { level: 'warn', message: 'retrying', bindings: { baileys: { retry: 2 } } },
      { level: 'error', message: 'boom', bindings: { class: 'socket' } },
    ]);
    expect(toBaileysLogger(logger, 'debug').level).toBe('debug');
  });
});

describe('printQrToTerminal', () => {
  it('renders the QR code with pairing instructions', () => {
    let out = '';
    printQrToTerminal('work', (text) => {
      out += text;
    })('2@abc,def,ghi');
    expect(out).toContain('account work');
    expect(out).toContain('Linked devices');
    expect(out.split('\n').length).toBeGreaterThan(10);
  });
});
