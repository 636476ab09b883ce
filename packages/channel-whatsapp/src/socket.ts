import type { Logger } from '@nanoclaw/core';
import type {
  AnyMessageContent,
  AuthenticationState,
  BaileysEventMap,
  MiscMessageGenerationOptions,
  proto,
  WAMessage,
  WAMessageKey,
  WAPresence,
} from 'baileys';

/**
 * The part of a Baileys socket the adapter uses. The real one comes from `makeWASocket`; tests pass a fake that
 * emits `connection.update` / `messages.upsert` and records `sendMessage` calls.
 */
export interface WhatsAppSocket {
  ev: {
    on<E extends keyof BaileysEventMap>(event: E, listener: (arg: BaileysEventMap[E]) => void): void;
  };
  user?: { id: string; lid?: string; name?: string; notify?: string } | undefined;
  sendMessage(
    jid: string,
    content: AnyMessageContent,
    options?: MiscMessageGenerationOptions,
  ): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: WAPresence, jid?: string): Promise<void>;
  readMessages(keys: WAMessageKey[]): Promise<void>;
  end(error: Error | undefined): unknown;
}

/** What the adapter hands to the socket factory. */
export interface WhatsAppSocketConfig {
  auth: AuthenticationState;
  /** A pino-shaped logger bridged to the host's. */
  logger: BaileysLogger;
  /** For message retries: the content of a message this account sent. */
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
}

export type MakeWhatsAppSocket = (config: WhatsAppSocketConfig) => WhatsAppSocket | Promise<WhatsAppSocket>;

/** Baileys' `ILogger` (pino's shape). */
export interface BaileysLogger {
  level: string;
  child(bindings: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/**
 * Bridges Baileys' logging onto the host logger. Baileys is very chatty below `warn` (every frame), so `trace`,
 * `debug` and `info` are dropped unless `level` asks for them.
 */
export function toBaileysLogger(logger: Logger, level: 'warn' | 'info' | 'debug' = 'warn'): BaileysLogger {
  const rank = { debug: 0, info: 1, warn: 2 }[level];
  const forward =
    (method: 'debug' | 'info' | 'warn' | 'error', minimum: number) => (obj: unknown, msg?: string) => {
      if (minimum < rank) return;
      if (typeof obj === 'string') logger[method](obj);
      else logger[method]({ baileys: obj }, msg ?? 'baileys');
    };
  return {
    level,
    child: (bindings) => toBaileysLogger(logger.child(bindings), level),
    trace: () => {},
    debug: forward('debug', 0),
    info: forward('info', 1),
    warn: forward('warn', 2),
    error: forward('error', 3),
  };
}
