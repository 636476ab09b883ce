import { Browsers, makeCacheableSignalKeyStore, makeWASocket } from 'baileys';
import type { MakeWhatsAppSocket, WhatsAppSocket } from './socket.js';

/**
 * The real socket: Baileys multi-device over WhatsApp Web's websocket. Not online-marked (the phone keeps its
 * notifications), no full history sync, the QR goes to the adapter's `onQr` (not Baileys' own printer).
 */
export const makeBaileysSocket: MakeWhatsAppSocket = (config) =>
  makeWASocket({
    auth: { creds: config.auth.creds, keys: makeCacheableSignalKeyStore(config.auth.keys, config.logger) },
    logger: config.logger,
    browser: Browsers.ubuntu('NanoClaw'),
    printQRInTerminal: false,
    markOnlineOnConnect: false,
    syncFullHistory: false,
    getMessage: config.getMessage,
  }) satisfies WhatsAppSocket;
