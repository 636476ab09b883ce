import fs from 'node:fs';
import path from 'node:path';
import { type ChannelSupervisor, createChannelRegistry, startChannels } from '@nanoclaw/channel-registry';
import type { ChannelFactory, ContainerRuntime, Logger } from '@nanoclaw/core';
import {
  createSqliteQueueStore,
  createSqliteTaskStore,
  type NanoclawDatabase,
  openDatabase,
} from '@nanoclaw/db';
import { createGroupQueue, type GroupQueue, isGroupQueueError } from '@nanoclaw/group-queue';
import { createScheduler } from '@nanoclaw/scheduler';
import { createAgentActions } from '../agent-actions/index.js';
import type { AgentPool } from '../agent-pool/types.js';
import {
  BUILT_IN_CHANNELS,
  createAdapterLookup,
  createChannelCredentialCheck,
  loadConfiguredChannels,
} from '../channels/index.js';
import type { HostConfig } from '../config.js';
import {
  adapterTextLimit,
  createFailureReporter,
  createOutbox,
  createOutboxWorker,
} from '../delivery/index.js';
import {
  createGroupRegistry,
  createProviderResolver,
  createSessionStore,
  describeGroupProviders,
  describeProvider,
  formatConfigIssue,
  type GroupRegistry,
  groupSettingsFile,
  logLegacySettings,
  moveLegacySettings,
} from '../groups/index.js';
import { ensureGroupsDir } from '../groups-dir.js';
import { createHttpApi, ensureApiToken } from '../http/index.js';
import { createHostEventBus, createLocalChannel } from '../local-channel/index.js';
import { createChannelReceiver, createInboundRouter, createInbox, type Turn } from '../routing/index.js';
import { createHostApiImpl } from './host-api-impl.js';
import { hostPool, resolveHostRuntime } from './host-runtime.js';
import { taskRunRef, type WorkPayload } from './work.js';
import { createWorker, defaultChat, sameChatAndSession } from './worker.js';

export const HOST_VERSION = '0.1.0';

export interface PoolContext {
  config: HostConfig;
  runtime: ContainerRuntime;
  registry: GroupRegistry;
  logger: Logger;
}

export interface CreateHostOptions {
  config: HostConfig;
  logger: Logger;
  /** Builds the sandbox pool once the runtime is known; tests pass their own. */
  createPool: (context: PoolContext) => AgentPool;
  /** Overrides runtime detection (tests). */
  runtime?: ContainerRuntime;
  /** How long shutdown waits for running turns before aborting them. Default 30 s. */
  drainMs?: number;
  /** Chat platforms started when their credentials are in `config.channelEnv`. Default: the built-in ones configured. */
  channels?: readonly ChannelFactory[];
}

export interface RunningHost {
  readonly url: string;
  readonly database: NanoclawDatabase;
  /** Stops intake, drains running turns to a deadline, flushes the outbox, closes sandboxes and the DB. */
  stop(): Promise<void>;
}

/**
 * The whole pipeline: channels → inbox (durable, deduped) → group queue → sandboxed agent → outbox → channel,
 * with the scheduler feeding the same queue at batch priority.
 */
export async function createHost(options: CreateHostOptions): Promise<RunningHost> {
  const { config } = options;
  prepareDataDir(config.NANOCLAW_DATA_DIR);
  ensureGroupsDir(config.NANOCLAW_GROUPS_DIR);
  logLegacySettings(moveLegacySettings(config.NANOCLAW_GROUPS_DIR), options.logger);
  const database = await openDatabase({ path: path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db') });
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => database.close()];
  try {
    return await assemble(options, database, cleanups);
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    throw error;
  }
}

async function assemble(
  options: CreateHostOptions,
  database: NanoclawDatabase,
  cleanups: Array<() => Promise<unknown> | unknown>,
): Promise<RunningHost> {
  const { config, logger } = options;
  const { db } = database;
  const startedAt = Date.now();

  const bus = createHostEventBus({ logger });
  const replyTargets = new Map<string, string[]>();
  const localChannel = createLocalChannel({
    bus,
    resolveInReplyTo: (message) => {
      const targets = replyTargets.get(message.idempotencyKey);
      replyTargets.delete(message.idempotencyKey);
      return targets ?? (message.replyToPlatformMessageId ? [message.replyToPlatformMessageId] : []);
    },
  });
  let channels: ChannelSupervisor | undefined;
  const adapters = createAdapterLookup([localChannel], () => channels);
  const outbox = createOutbox(db, { maxTextLength: adapterTextLimit(adapters) });
  const reporter = createFailureReporter({ db, outbox, logger });
  const outboxWorker = createOutboxWorker({ db, adapters, logger, outbox, reporter });

  let queue: GroupQueue<WorkPayload, Turn> | undefined;
  const scheduler = createScheduler({
    store: createSqliteTaskStore(db),
    completion: 'manual',
    timezone: config.TZ,
    logger: logger.child({ component: 'scheduler' }),
    onRun: async (run) => {
      if (!queue) throw new Error('the queue is not ready');
      await queue.enqueue(
        run.groupId,
        { kind: 'task', run: taskRunRef(run) },
        { priority: 'batch', id: `task-run:${run.runId}` },
      );
    },
  });
  const registry = createGroupRegistry({
    db,
    groupsDir: config.NANOCLAW_GROUPS_DIR,
    logger,
    tasks: scheduler,
  });
  const sync = await registry.sync();
  for (const invalid of sync.invalidFolders ?? [])
    logger.warn({ folder: invalid }, 'group folder name is invalid; ignored');
  const sessions = createSessionStore(db);
  const resolver = createProviderResolver({
    env: config as unknown as Record<string, string | undefined>,
    agentProvider: config.AGENT_PROVIDER,
    logger,
  });
  const actions = createAgentActions({ scheduler, registry, outbox, logger });

  const runtimeState = await resolveHostRuntime(options);
  if ('error' in runtimeState.status) logger.error(runtimeState.status.error);
  const pool = hostPool(
    runtimeState,
    (runtime) => options.createPool({ config, runtime, registry, logger }),
    logger,
  );
  cleanups.push(() => pool.closeAll());

  const inbox = createInbox(db);
  const router = createInboundRouter({ inbox, registry, assistantName: config.ASSISTANT_NAME, logger });
  const activeTurns = new Map<string, Turn>();
  let stopping: Promise<void> | undefined;
  const enqueueTurn = (turn: Turn) => {
    const active = activeTurns.get(turn.groupId);
    if (active && sameChatAndSession(active, turn) && queue?.push(turn.groupId, turn) === 'delivered') return;
    if (stopping) {
      // A chat platform still delivers while running turns drain: the message is stored, the restart answers it.
      logger.info(
        { group: turn.groupId, messages: turn.messageIds.length },
        'stored while stopping; answered after the restart',
      );
      return;
    }
    queueTurn(turn);
  };
  /**
   * Never rejects. The turn's messages are stored in the inbox first: when the queue does not take the turn (it
   * closed for the shutdown, the database failed), the inbox's recovery at the next start answers them.
   */
  const queueTurn = (turn: Turn): void => {
    if (!queue) return;
    queue
      .enqueue(turn.groupId, { kind: 'turn', turn }, { priority: 'interactive' })
      .catch((error: unknown) => {
        const fields = { group: turn.groupId, messages: turn.messageIds.length };
        if (isGroupQueueError(error, 'queue-closed'))
          logger.info(fields, 'stored while stopping; answered after the restart');
        else logger.error({ ...fields, err: error }, 'could not queue a turn; answered after the restart');
      });
  };
  const receiver = createChannelReceiver({
    inbox,
    router,
    onTurn: enqueueTurn,
    onOutcome: async (outcome, message) => {
      if (outcome.kind !== 'config-error' || !outcome.addressed) return;
      bus.publish({
        type: 'error',
        folder: outcome.folder,
        message: formatConfigIssue(outcome.error),
        inReplyTo: [message.message.platformMessageId],
      });
      await reporter.report({
        chat: {
          channel: message.message.channel,
          accountId: message.message.accountId,
          chatId: message.message.chatId,
        },
        groupId: outcome.groupId,
        kind: 'config-error',
        key: `config:${outcome.folder}:${outcome.error.message}`,
        text: `I can't answer here until groups/${groupSettingsFile(outcome.folder)} is fixed (${outcome.error.key || 'the file'}).`,
      });
    },
    logger,
  });

  queue = createGroupQueue<WorkPayload, Turn>({
    store: createSqliteQueueStore<WorkPayload>(database),
    maxConcurrent: config.NANOCLAW_MAX_CONCURRENT,
    logger: logger.child({ component: 'queue' }),
    worker: createWorker({
      pool,
      sessions,
      resolver,
      actions,
      registry,
      inbox,
      outbox,
      reporter,
      scheduler,
      bus,
      timezone: config.TZ,
      replyTargets,
      activeTurns,
      requeue: queueTurn,
      logger,
    }),
  });
  queue.on('dead-letter', (event) => {
    onDeadLetter(event.item.payload, event.item.id, event.error).catch((error: unknown) =>
      // The item is dead already; only its report (to the chat, the task's run) is missing: say so in the log.
      logger.error({ err: error, item: event.item.id }, 'could not report work that failed for good'),
    );
  });
  queue.on('input-return', (event) => {
    for (const turn of event.inputs) enqueueTurn(turn);
  });

  async function onDeadLetter(payload: WorkPayload, itemId: string, error: string): Promise<void> {
    logger.error({ item: itemId, error }, 'work failed for good');
    if (payload.kind === 'task') {
      const { run } = payload;
      await scheduler.completeRun(run.runId, { status: 'failed', error });
      const group = await registry.getById(run.groupId);
      if (!group) return;
      await reporter.report({
        chat: await defaultChat(registry, group),
        groupId: group.id,
        kind: 'task-failed',
        key: `task-run:${run.runId}`,
        text: `Scheduled task ${run.taskId} failed after several tries. \`nanoclaw runs list --task ${run.taskId}\` shows why.`,
        error,
      });
      return;
    }
    const { turn } = payload;
    await inbox.markFailed(turn.messageIds, error);
    const group = await registry.getById(turn.groupId);
    const inReplyTo = (await inbox.getMany(turn.messageIds)).map((m) => m.message.platformMessageId);
    if (group) bus.publish({ type: 'error', folder: group.folder, message: error, inReplyTo });
    await reporter.report({
      chat: turn.chat,
      groupId: turn.groupId,
      kind: 'run-dead-lettered',
      key: itemId,
      text: 'Sorry, I could not answer your last message: the agent failed several times. Please try again later.',
      error,
    });
  }

  const recovered = await queue.ready();
  const inboxRecovery = await inbox.recover();
  for (const stored of inboxRecovery.unrouted) {
    const outcome = await router.route(stored);
    if (outcome.kind === 'turn') enqueueTurn(outcome.turn);
  }
  for (const turn of inboxRecovery.turns) enqueueTurn(turn);
  if (recovered.requeued + inboxRecovery.turns.length > 0) {
    logger.info(
      { queue: recovered, turns: inboxRecovery.turns.length },
      'recovered work left by the last run',
    );
  }

  await localChannel.start({ receive: receiver.receive, logger });
  // WhatsApp keeps its pairing under the data dir.
  const channelEnv = { ...config.channelEnv, NANOCLAW_DATA_DIR: config.NANOCLAW_DATA_DIR };
  channels = await startChannels({
    env: channelEnv,
    host: { receive: receiver.receive, logger },
    logger: logger.child({ component: 'channels' }),
    registry: createChannelRegistry(options.channels ?? (await loadConfiguredChannels(channelEnv))),
  });
  cleanups.push(() => channels?.stopAll());
  outboxWorker.start();
  await scheduler.start();

  const token = ensureApiToken(config.NANOCLAW_DATA_DIR);
  const api = createHostApiImpl({
    version: HOST_VERSION,
    startedAt,
    database,
    registry,
    resolver,
    scheduler,
    queue,
    receiver,
    bus,
    assistantName: config.ASSISTANT_NAME,
    runtime: () => runtimeState.status,
    channels: () => channels?.status() ?? [],
    channelCredentials: createChannelCredentialCheck(options.channels ?? BUILT_IN_CHANNELS, channelEnv),
  });
  const http = createHttpApi({
    api,
    token,
    logger,
    host: config.NANOCLAW_HTTP_HOST,
    port: config.NANOCLAW_HTTP_PORT,
  });
  const url = await http.listen();
  cleanups.push(() => http.close());

  logger.info(
    {
      url,
      dataDir: config.NANOCLAW_DATA_DIR,
      groupsDir: config.NANOCLAW_GROUPS_DIR,
      runtime: 'error' in runtimeState.status ? null : runtimeState.status.name,
      defaultProvider: describeProvider(resolver.groupDefault),
      providers: await describeGroupProviders(db, await registry.list(), resolver),
      timezone: config.TZ,
    },
    'NanoClaw host ready',
  );

  const graceMs = options.drainMs ?? 30_000;
  const stop = () => {
    stopping ??= (async () => {
      const startedStopping = Date.now();
      logger.info({ graceMs }, 'stopping: no new messages; draining running turns');
      await localChannel.stop();
      await scheduler.stop();
      const drained = await queue.drain(graceMs);
      if (drained.timedOut) {
        // Their turns stay open (not answered, not done): the next start runs them again.
        logger.warn({ interrupted: drained.interrupted }, 'turns still running were interrupted');
        await settleWithin(queue.idle(), INTERRUPTED_RUNS_MS);
      }
      // Chat platforms stop only now, so the replies of the drained turns still reach them.
      await outboxWorker.flush(5_000);
      await outboxWorker.stop();
      await channels?.stopAll();
      await pool.closeAll();
      await http.close();
      await database.close();
      logger.info({ stopMs: Date.now() - startedStopping }, 'NanoClaw host stopped');
    })();
    return stopping;
  };
  return { url, database, stop };
}

/** After the drain's deadline, how long the interrupted runs get to end before their sandboxes are closed. */
const INTERRUPTED_RUNS_MS = 5_000;

/** Waits for `promise`, at most `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * The data dir holds the database (0600), the API token (0600) and the per-session homes that sandboxes mount.
 * When the host runs as root, sandboxes run as another uid that must traverse it to reach those homes: it may
 * pass through (0711), never list it.
 */
function prepareDataDir(dataDir: string): void {
  const asRoot = process.getuid?.() === 0;
  fs.mkdirSync(dataDir, { recursive: true, mode: asRoot ? 0o711 : 0o700 });
  if (asRoot && (fs.statSync(dataDir).mode & 0o001) === 0) fs.chmodSync(dataDir, 0o711);
}
