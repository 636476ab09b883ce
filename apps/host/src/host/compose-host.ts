import fs from 'node:fs';
import path from 'node:path';
import { type ChannelSupervisor, createChannelRegistry, startChannels } from '@nanoclaw/channel-registry';
import type { Attachment, ChannelFactory, ContainerRuntime, Logger } from '@nanoclaw/core';
import {
  createSqliteQueueStore,
  createSqliteTaskStore,
  createUsageStore,
  type NanoclawDatabase,
  openDatabase,
} from '@nanoclaw/db';
import { createGroupQueue, type GroupQueue, isGroupQueueError } from '@nanoclaw/group-queue';
import { createScheduler, type Scheduler } from '@nanoclaw/scheduler';
import { createAgentActions } from '../agent-actions/index.js';
import type { AgentPool, SandboxChange } from '../agent-pool/types.js';
import {
  type AdapterLookup,
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
  type FailureReporter,
  type Outbox,
  type OutboxWorker,
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
  type ProviderResolver,
  type SessionStore,
} from '../groups/index.js';
import { ensureGroupsDir } from '../groups-dir.js';
import { createHttpApi, ensureApiToken, type HttpApi } from '../http/index.js';
import {
  createHostEventBus,
  createLocalChannel,
  type HostEventBus,
  type LocalChannel,
} from '../local-channel/index.js';
import type { TranscriberContext } from '../media/configured-transcriber.js';
import {
  createOutboundFileSpool,
  OUTBOUND_FILES_DIR,
  type OutboundFileSpool,
} from '../media/outbound-file.js';
import { schedulePruning } from '../media/prune-inbox.js';
import type { Transcriber } from '../media/transcriber.js';
import {
  type ChannelReceiver,
  createChannelReceiver,
  createInboundRouter,
  createInbox,
  type InboundRouter,
  type Inbox,
  type RouteOutcome,
  type StoredInbound,
  type Turn,
} from '../routing/index.js';
import { composePeople, type PeopleParts } from './compose-people.js';
import { createDeadLetterHandler } from './dead-letter.js';
import { createHostApiImpl } from './host-api-impl.js';
import { type HostRuntime, hostPool, resolveHostRuntime } from './host-runtime.js';
import { createLiveEvents, type LiveEvents } from './live-events.js';
import { taskRunRef, type WorkPayload } from './work.js';
import { createWorker, sameChatAndSession } from './worker.js';

export const HOST_VERSION = '0.1.0';

export interface PoolContext {
  config: HostConfig;
  runtime: ContainerRuntime;
  registry: GroupRegistry;
  logger: Logger;
  /** Where the pool reports its sandboxes starting, running and stopping (the host's live events). */
  onSandboxChange: (change: SandboxChange) => void;
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
  /** Voice notes' speech to text, once the runtime and pool are known (undefined: none configured). */
  createTranscriber?: (context: TranscriberContext) => Transcriber | undefined;
  /** Speech to text for inbound voice notes instead of the configured one (tests). */
  transcriber?: Transcriber;
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
  const host = new HostAssembly(options, database);
  cleanups.push(() => host.closeStarted());
  await host.start();
  return { url: host.url, database, stop: () => host.stop() };
}

/**
 * The host's parts and their order: built in the constructor (nothing runs yet), started in `start()` (groups
 * synced, the queue recovered, intake opened, the API listening), stopped in `stop()` (intake closed, turns
 * drained, replies flushed, everything closed).
 */
class HostAssembly {
  readonly #options: CreateHostOptions;
  readonly #database: NanoclawDatabase;
  readonly #logger: Logger;
  readonly #startedAt = Date.now();
  readonly #bus: HostEventBus;
  readonly #replyTargets = new Map<string, string[]>();
  readonly #localChannel: LocalChannel;
  readonly #outbox: Outbox;
  readonly #reporter: FailureReporter;
  readonly #outboxWorker: OutboxWorker;
  /** Files the agent sends, copied out of its group folder until the outbox settles their message. */
  readonly #outboundFiles: OutboundFileSpool;
  readonly #adapters: AdapterLookup;
  readonly #scheduler: Scheduler;
  readonly #registry: GroupRegistry;
  readonly #sessions: SessionStore;
  readonly #resolver: ProviderResolver;
  readonly #inbox: Inbox;
  readonly #router: InboundRouter;
  readonly #receiver: ChannelReceiver;
  readonly #people: PeopleParts;
  readonly #live: LiveEvents;
  readonly #activeTurns = new Map<string, Turn>();
  #channels: ChannelSupervisor | undefined;
  #queue: GroupQueue<WorkPayload, Turn> | undefined;
  #pool: AgentPool | undefined;
  #transcriber: Transcriber | undefined;
  #http: HttpApi | undefined;
  #stopping: Promise<void> | undefined;
  #stopPruning: (() => Promise<void>) | undefined;
  url = '';

  constructor(options: CreateHostOptions, database: NanoclawDatabase) {
    const { config, logger } = options;
    const { db } = database;
    this.#options = options;
    this.#database = database;
    this.#logger = logger;
    this.#bus = createHostEventBus({ logger });
    this.#localChannel = createLocalChannel({
      bus: this.#bus,
      resolveInReplyTo: (message) => {
        const targets = this.#replyTargets.get(message.idempotencyKey);
        this.#replyTargets.delete(message.idempotencyKey);
        return targets ?? (message.replyToPlatformMessageId ? [message.replyToPlatformMessageId] : []);
      },
    });
    const adapters = createAdapterLookup([this.#localChannel], () => this.#channels);
    this.#adapters = adapters;
    this.#outbox = createOutbox(db, { maxTextLength: adapterTextLimit(adapters) });
    this.#reporter = createFailureReporter({ db, outbox: this.#outbox, logger });
    this.#outboundFiles = createOutboundFileSpool({
      root: path.join(config.NANOCLAW_DATA_DIR, OUTBOUND_FILES_DIR),
      logger,
    });
    this.#outboxWorker = createOutboxWorker({
      db,
      adapters,
      logger,
      outbox: this.#outbox,
      reporter: this.#reporter,
      onSettled: (row) => this.#outboundFiles.release(row.message.attachments),
    });
    this.#scheduler = this.#createScheduler();
    this.#registry = createGroupRegistry({
      db,
      groupsDir: config.NANOCLAW_GROUPS_DIR,
      logger,
      tasks: this.#scheduler,
    });
    this.#live = createLiveEvents({ bus: this.#bus, registry: this.#registry, logger });
    this.#sessions = createSessionStore(db);
    this.#resolver = createProviderResolver({
      env: config as unknown as Record<string, string | undefined>,
      agentProvider: config.AGENT_PROVIDER,
      logger,
    });
    this.#inbox = createInbox(db);
    this.#people = composePeople({
      db,
      registry: this.#registry,
      outbox: this.#outbox,
      inbox: this.#inbox,
      adapters: () => adapters.all(),
      reroute: (ids) => this.#reroute(ids),
      onApprovalChange: (approval) => this.#live.approvalChanged(approval),
      logger,
    });
    this.#router = createInboundRouter({
      inbox: this.#inbox,
      registry: this.#registry,
      assistantName: config.ASSISTANT_NAME,
      logger,
      gate: this.#people.gate,
      answers: this.#people.approvals,
      audit: this.#people.audit,
    });
    this.#receiver = createChannelReceiver({
      inbox: this.#inbox,
      router: this.#router,
      onTurn: (turn) => this.#enqueueTurn(turn),
      onOutcome: (outcome, message) => this.#reportConfigError(outcome, message),
      onAction: (action) => this.#people.approvals.handleTap(action),
      logger,
    });
  }

  /** Due task runs go into the group queue (at batch priority); task changes become live events. */
  #createScheduler(): Scheduler {
    const { config, logger } = this.#options;
    return createScheduler({
      store: createSqliteTaskStore(this.#database.db),
      completion: 'manual',
      timezone: config.TZ,
      logger: logger.child({ component: 'scheduler' }),
      onEvent: (event) => this.#live.schedulerEvent(event),
      onRun: async (run) => {
        if (!this.#queue) throw new Error('the queue is not ready');
        await this.#queue.enqueue(
          run.groupId,
          { kind: 'task', run: taskRunRef(run) },
          { priority: 'batch', id: `task-run:${run.runId}` },
        );
      },
    });
  }

  async start(): Promise<void> {
    const sync = await this.#registry.sync();
    for (const invalid of sync.invalidFolders ?? [])
      this.#logger.warn({ folder: invalid }, 'group folder name is invalid; ignored');
    const runtimeState = await resolveHostRuntime(this.#options);
    if ('error' in runtimeState.status) this.#logger.error(runtimeState.status.error);
    this.#pool = hostPool(
      runtimeState,
      (runtime) =>
        this.#options.createPool({
          config: this.#options.config,
          runtime,
          registry: this.#registry,
          logger: this.#logger,
          onSandboxChange: (change) => this.#live.sandboxChanged(change),
        }),
      this.#logger,
    );
    this.#transcriber =
      this.#options.transcriber ??
      this.#options.createTranscriber?.({
        config: this.#options.config,
        runtime: runtimeState.runtime,
        pool: this.#pool,
        logger: this.#logger,
      });
    const queue = this.#createQueue(this.#pool, runtimeState);
    this.#stopPruning = schedulePruning({
      groupsDir: this.#options.config.NANOCLAW_GROUPS_DIR,
      retentionDays: this.#options.config.MEDIA_RETENTION_DAYS,
      logger: this.#logger.child({ component: 'media' }),
    });
    this.#queue = queue;
    await this.#recover(queue);
    const channelEnv = await this.#openIntake();
    await this.#outboundFiles.prune({ keep: await this.#unsentAttachments() });
    await this.#outboxWorker.start();
    await this.#people.approvals.start();
    await this.#scheduler.start();
    await this.#listen(queue, runtimeState, channelEnv);
    await this.#logReady(runtimeState);
  }

  /** The files of outbox messages not sent yet (pending, or cut off mid-send by a crash): kept in the spool. */
  async #unsentAttachments(): Promise<Attachment[]> {
    const rows = [
      ...(await this.#outbox.list({ status: 'pending' })),
      ...(await this.#outbox.list({ status: 'sending' })),
    ];
    return rows.flatMap((row) => row.message.attachments ?? []);
  }

  /** Stops intake, drains running turns to a deadline, flushes the outbox, closes sandboxes and the DB. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** What a failed start leaves open (the database is closed by the caller). */
  async closeStarted(): Promise<void> {
    await this.#http?.close();
    await this.#channels?.stopAll();
    await this.#pool?.closeAll();
  }

  /** A same-chat follow-up joins the group's active run; anything else is queued (stored, once stopping). */
  #enqueueTurn(turn: Turn): void {
    const active = this.#activeTurns.get(turn.groupId);
    if (active && sameChatAndSession(active, turn) && this.#queue?.push(turn.groupId, turn) === 'delivered')
      return;
    if (this.#stopping) {
      // A chat platform still delivers while running turns drain: the message is stored, the restart answers it.
      this.#logger.info(
        { group: turn.groupId, messages: turn.messageIds.length },
        'stored while stopping; answered after the restart',
      );
      return;
    }
    this.#queueTurn(turn);
  }

  /**
   * Never rejects. The turn's messages are stored in the inbox first: when the queue does not take the turn (it
   * closed for the shutdown, the database failed), the inbox's recovery at the next start answers them.
   */
  #queueTurn(turn: Turn): void {
    if (!this.#queue) return;
    this.#queue
      .enqueue(turn.groupId, { kind: 'turn', turn }, { priority: 'interactive' })
      .catch((error: unknown) => {
        const fields = { group: turn.groupId, messages: turn.messageIds.length };
        if (isGroupQueueError(error, 'queue-closed'))
          this.#logger.info(fields, 'stored while stopping; answered after the restart');
        else
          this.#logger.error({ ...fields, err: error }, 'could not queue a turn; answered after the restart');
      });
  }

  /** A message addressed to a group whose settings file is broken: the chat hears what to fix. */
  async #reportConfigError(outcome: RouteOutcome, message: StoredInbound): Promise<void> {
    if (outcome.kind !== 'config-error' || !outcome.addressed) return;
    this.#bus.publish({
      type: 'error',
      folder: outcome.folder,
      message: formatConfigIssue(outcome.error),
      inReplyTo: [message.message.platformMessageId],
    });
    await this.#reporter.report({
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
  }

  #createQueue(pool: AgentPool, runtimeState: HostRuntime): GroupQueue<WorkPayload, Turn> {
    const { config } = this.#options;
    const logger = this.#logger;
    const queue = createGroupQueue<WorkPayload, Turn>({
      store: createSqliteQueueStore<WorkPayload>(this.#database),
      maxConcurrent: config.NANOCLAW_MAX_CONCURRENT,
      logger: logger.child({ component: 'queue' }),
      worker: createWorker({
        pool,
        sessions: this.#sessions,
        resolver: this.#resolver,
        actions: createAgentActions({
          scheduler: this.#scheduler,
          registry: this.#registry,
          outbox: this.#outbox,
          questions: this.#people.approvals,
          files: this.#outboundFiles,
          adapters: this.#adapters,
          logger,
        }),
        registry: this.#registry,
        inbox: this.#inbox,
        outbox: this.#outbox,
        reporter: this.#reporter,
        scheduler: this.#scheduler,
        bus: this.#bus,
        usage: createUsageStore(this.#database.db),
        timezone: config.TZ,
        replyTargets: this.#replyTargets,
        activeTurns: this.#activeTurns,
        requeue: (turn) => this.#queueTurn(turn),
        media: {
          adapters: this.#adapters,
          groupsDir: config.NANOCLAW_GROUPS_DIR,
          maxMb: config.MEDIA_MAX_MB,
          hostPaths: () => runtimeState.runtime?.name === 'process',
        },
        ...(this.#transcriber ? { transcriber: this.#transcriber } : {}),
        logger,
      }),
    });
    const onDeadLetter = createDeadLetterHandler({
      scheduler: this.#scheduler,
      registry: this.#registry,
      inbox: this.#inbox,
      bus: this.#bus,
      reporter: this.#reporter,
      logger,
    });
    // onDeadLetter never rejects: it logs a report it cannot write.
    queue.on('dead-letter', (event) => void onDeadLetter(event.item.payload, event.item.id, event.error));
    queue.on('input-return', (event) => {
      for (const turn of event.inputs) this.#enqueueTurn(turn);
    });
    queue.on('item-retry', ({ item, error, delayMs }) =>
      this.#live.runRetried(item.groupKey, {
        runId: item.id,
        message: error,
        retryInMs: delayMs,
        ...(item.payload.kind === 'task' ? { taskId: item.payload.run.taskId } : {}),
      }),
    );
    this.#publishDepths(queue);
    return queue;
  }

  /** Every change of a group's queue is a `queue` event (the dashboard shows waiting and running work live). */
  #publishDepths(queue: GroupQueue<WorkPayload, Turn>): void {
    const depth = (groupId: string) => {
      const current = queue.depth(groupId);
      return { queued: current.queued + current.retrying, running: current.running };
    };
    const changed = (event: { item: { groupKey: string } }) =>
      this.#live.queueChanged(event.item.groupKey, depth(event.item.groupKey));
    for (const name of [
      'item-enqueue',
      'item-start',
      'item-end',
      'item-retry',
      'item-cancel',
      'dead-letter',
    ] as const)
      queue.on(name, changed);
  }

  /** Messages an approval released (`received` again): routed as if they had just arrived. */
  async #reroute(ids: number[]): Promise<void> {
    for (const stored of await this.#inbox.getMany(ids)) {
      const outcome = await this.#router.route(stored);
      if (outcome.kind === 'turn') this.#enqueueTurn(outcome.turn);
    }
  }

  /** Work the last run left: unfinished queue items, and stored messages not answered yet. */
  async #recover(queue: GroupQueue<WorkPayload, Turn>): Promise<void> {
    const recovered = await queue.ready();
    const inboxRecovery = await this.#inbox.recover();
    for (const stored of inboxRecovery.unrouted) {
      const outcome = await this.#router.route(stored);
      if (outcome.kind === 'turn') this.#enqueueTurn(outcome.turn);
    }
    for (const turn of inboxRecovery.turns) this.#enqueueTurn(turn);
    if (recovered.requeued + inboxRecovery.turns.length > 0) {
      this.#logger.info(
        { queue: recovered, turns: inboxRecovery.turns.length },
        'recovered work left by the last run',
      );
    }
  }

  /** The local channel and the chat platforms configured; returns the channels' env. */
  async #openIntake(): Promise<Record<string, string>> {
    const { config } = this.#options;
    const logger = this.#logger;
    const intake = {
      receive: this.#receiver.receive,
      receiveAction: this.#receiver.receiveAction,
      logger,
    };
    await this.#localChannel.start(intake);
    // WhatsApp keeps its pairing under the data dir.
    const channelEnv = { ...config.channelEnv, NANOCLAW_DATA_DIR: config.NANOCLAW_DATA_DIR };
    this.#channels = await startChannels({
      env: channelEnv,
      host: intake,
      logger: logger.child({ component: 'channels' }),
      registry: createChannelRegistry(this.#options.channels ?? (await loadConfiguredChannels(channelEnv))),
    });
    return channelEnv;
  }

  async #listen(
    queue: GroupQueue<WorkPayload, Turn>,
    runtimeState: HostRuntime,
    channelEnv: Record<string, string>,
  ): Promise<void> {
    const { config } = this.#options;
    const api = createHostApiImpl({
      version: HOST_VERSION,
      startedAt: this.#startedAt,
      database: this.#database,
      registry: this.#registry,
      resolver: this.#resolver,
      scheduler: this.#scheduler,
      queue,
      receiver: this.#receiver,
      bus: this.#bus,
      assistantName: config.ASSISTANT_NAME,
      runtime: () => runtimeState.status,
      channels: () => this.#channels?.status() ?? [],
      people: this.#people,
      groupsDir: config.NANOCLAW_GROUPS_DIR,
      usage: createUsageStore(this.#database.db),
      pool: () => this.#pool,
      live: this.#live,
      channelCredentials: createChannelCredentialCheck(
        this.#options.channels ?? BUILT_IN_CHANNELS,
        channelEnv,
      ),
    });
    this.#http = createHttpApi({
      api,
      token: ensureApiToken(config.NANOCLAW_DATA_DIR),
      logger: this.#logger,
      host: config.NANOCLAW_HTTP_HOST,
      port: config.NANOCLAW_HTTP_PORT,
    });
    this.url = await this.#http.listen();
  }

  async #logReady(runtimeState: HostRuntime): Promise<void> {
    const { config } = this.#options;
    this.#logger.info(
      {
        url: this.url,
        dataDir: config.NANOCLAW_DATA_DIR,
        groupsDir: config.NANOCLAW_GROUPS_DIR,
        runtime: 'error' in runtimeState.status ? null : runtimeState.status.name,
        defaultProvider: describeProvider(this.#resolver.groupDefault),
        providers: await describeGroupProviders(
          this.#database.db,
          await this.#registry.list(),
          this.#resolver,
        ),
        timezone: config.TZ,
      },
      'NanoClaw host ready',
    );
  }

  async #stop(): Promise<void> {
    const logger = this.#logger;
    const graceMs = this.#options.drainMs ?? 30_000;
    const startedStopping = Date.now();
    logger.info({ graceMs }, 'stopping: no new messages; draining running turns');
    // A pass still running finishes first: nothing is deleted after the host has said it stopped.
    await this.#stopPruning?.();
    await this.#localChannel.stop();
    this.#people.approvals.stop();
    await this.#scheduler.stop();
    if (this.#queue) {
      const drained = await this.#queue.drain(graceMs);
      if (drained.timedOut) {
        // Their turns stay open (not answered, not done): the next start runs them again.
        logger.warn({ interrupted: drained.interrupted }, 'turns still running were interrupted');
        await settleWithin(this.#queue.idle(), INTERRUPTED_RUNS_MS);
      }
    }
    // Chat platforms stop only now, so the replies of the drained turns still reach them.
    await this.#outboxWorker.flush(5_000);
    await this.#outboxWorker.stop();
    await this.#channels?.stopAll();
    await this.#pool?.closeAll();
    await this.#http?.close();
    this.#live.close();
    await this.#database.close();
    logger.info({ stopMs: Date.now() - startedStopping }, 'NanoClaw host stopped');
  }
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
