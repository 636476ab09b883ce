import { errorMessage, type TaskRunLog } from '@nanoclaw/core';
import type {
  AddedGroup,
  AddUserRequest,
  ApprovalChoice,
  ApprovalView,
  AuditView,
  GroupAccess,
  GroupConfigView,
  GroupView,
  HostApi,
  HostEvent,
  HostStatus,
  MessageView,
  PostedMessage,
  Readiness,
  RemovedGroup,
  RemoveUserRequest,
  SandboxView,
  TaskView,
  UsageView,
  UserView,
} from '../host-api.js';
import { ACTOR_HEADER } from '../http/people-routes.js';
import { CliError, EXIT } from './cli-io.js';
import { createSseParser } from './sse-parser.js';

export interface HostClientOptions {
  /** `http://127.0.0.1:7420` */
  baseUrl: string;
  /** Read lazily (a missing token only matters once the host answers). */
  token: () => string;
  /** Where the token comes from, for error messages. */
  tokenSource: string;
  fetch?: typeof fetch;
  /** Per-request timeout (not event streams); default 30 s. */
  requestTimeoutMs?: number;
}

export interface EventStream {
  /** Resolves when the stream ends: closed by us, by the host, or broken. */
  readonly done: Promise<void>;
  close(): void;
}

export type TaskAction = 'pause' | 'resume' | 'cancel';

/**
 * The CLI's view of a running host: its HTTP API, typed (the `HostApi` methods it serves, the same signatures).
 * Errors are `CliError`s with a message for humans.
 */
export interface HostClient
  extends Pick<
      HostApi,
      | 'status'
      | 'readiness'
      | 'listGroups'
      | 'addGroup'
      | 'bindChat'
      | 'removeGroup'
      | 'listTasks'
      | 'addTask'
      | 'listRuns'
      | 'postMessage'
      | 'previewTask'
      | 'listUsage'
      | 'getGroupConfig'
      | 'setGroupConfig'
      | 'listSandboxes'
      | 'killSandbox'
      | 'listMessages'
    >,
    PeopleClient {
  readonly baseUrl: string;
  /** A one-time dashboard login link (5 minutes). */
  createDashboardLink(): Promise<{ url: string; expiresAt: number }>;
  taskAction(id: string, action: TaskAction): Promise<TaskView>;
  /** Resolves once the host has subscribed us (events after that are delivered to `onEvent`). */
  openEvents(folder: string, onEvent: (event: HostEvent) => void): Promise<EventStream>;
}

/**
 * Users, access, approvals and the audit log. What changes something is recorded with the actor `cli` (the
 * client names itself in every request's `X-Nanoclaw-Actor`).
 */
export interface PeopleClient
  extends Pick<HostApi, 'listUsers' | 'listApprovals' | 'getApproval' | 'listAudit'> {
  addUser(input: AddUserRequest): Promise<UserView>;
  removeUser(input: RemoveUserRequest): Promise<{ removed: number }>;
  linkUsers(a: string, b: string): Promise<UserView[]>;
  setGroupAccess(folder: string, access: GroupAccess): Promise<GroupView>;
  decideApproval(id: string, choice: ApprovalChoice): Promise<ApprovalView>;
}

export function hostNotRunningMessage(baseUrl: string): string {
  return `no host answers on ${new URL(baseUrl).host} — start it with \`pnpm dev\` or \`nanoclaw start\``;
}

export function createHostClient(options: HostClientOptions): HostClient {
  const connection = new HostConnection(options);
  const { baseUrl } = connection;
  const json = <T>(method: string, path: string, body?: unknown, okStatuses: number[] = []) =>
    connection.json<T>(method, path, body, okStatuses);
  const send = (method: string, path: string, init: { body?: unknown; signal?: AbortSignal } = {}) =>
    connection.send(method, path, init);
  const responseError = (response: Response) => connection.responseError(response);
  return {
    ...peopleClient(json),
    baseUrl,
    status: () => json<HostStatus>('GET', '/api/v1/status'),
    readiness: () => json<Readiness>('GET', '/readyz', undefined, [503]),
    listGroups: async () => (await json<{ groups: GroupView[] }>('GET', '/api/v1/groups')).groups,
    addGroup: (input) => json<AddedGroup>('POST', '/api/v1/groups', input),
    bindChat: (folder, chat) => json<AddedGroup>('POST', `/api/v1/groups/${segment(folder)}/chats`, chat),
    removeGroup: (folder) => json<RemovedGroup>('DELETE', `/api/v1/groups/${segment(folder)}`),
    listTasks: async (filter = {}) =>
      (
        await json<{ tasks: TaskView[] }>(
          'GET',
          `/api/v1/tasks${query({ group: filter.folder, status: filter.status })}`,
        )
      ).tasks,
    addTask: (input) => json<TaskView>('POST', '/api/v1/tasks', input),
    taskAction: (id, action) => json<TaskView>('POST', `/api/v1/tasks/${segment(id)}/${action}`),
    listRuns: async (filter = {}) =>
      (
        await json<{ runs: TaskRunLog[] }>(
          'GET',
          `/api/v1/runs${query({ task: filter.taskId, limit: filter.limit })}`,
        )
      ).runs,
    postMessage: (folder, input) =>
      json<PostedMessage>('POST', `/api/v1/groups/${segment(folder)}/messages`, input),
    ...dashboardClient(json),
    openEvents: async (folder, onEvent) => {
      const controller = new AbortController();
      const path = folder === '*' ? '/api/v1/events' : `/api/v1/groups/${segment(folder)}/events`;
      const response = await send('GET', path, { signal: controller.signal });
      if (!response.ok || !response.body) throw await responseError(response);
      const done = pump(response.body, onEvent).catch(() => undefined);
      return { done, close: () => controller.abort() };
    },
  };
}

type JsonCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

type DashboardClient = Pick<
  HostClient,
  | 'previewTask'
  | 'listUsage'
  | 'getGroupConfig'
  | 'setGroupConfig'
  | 'listSandboxes'
  | 'killSandbox'
  | 'listMessages'
  | 'createDashboardLink'
>;

function dashboardClient(json: JsonCall): DashboardClient {
  return {
    previewTask: (input) => json<TaskView>('POST', '/api/v1/tasks?dryRun=1', input),
    listUsage: async (filter = {}) =>
      (
        await json<{ usage: UsageView[] }>(
          'GET',
          `/api/v1/usage${query({ days: filter.days, folder: filter.folder })}`,
        )
      ).usage,
    getGroupConfig: (folder) => json<GroupConfigView>('GET', `/api/v1/groups/${segment(folder)}/config`),
    setGroupConfig: (folder, config) =>
      json<GroupConfigView>('PUT', `/api/v1/groups/${segment(folder)}/config`, config),
    listSandboxes: async () =>
      (await json<{ sandboxes: SandboxView[] }>('GET', '/api/v1/sandboxes')).sandboxes,
    killSandbox: (id) => json<{ id: string; killed: true }>('POST', `/api/v1/sandboxes/${segment(id)}/kill`),
    listMessages: async (folder, filter = {}) =>
      (
        await json<{ messages: MessageView[] }>(
          'GET',
          `/api/v1/groups/${segment(folder)}/messages${query({ limit: filter.limit })}`,
        )
      ).messages,
    createDashboardLink: () => json<{ url: string; expiresAt: number }>('POST', '/api/v1/dashboard/links'),
  };
}

function peopleClient(json: JsonCall): PeopleClient {
  return {
    listUsers: async () => (await json<{ users: UserView[] }>('GET', '/api/v1/users')).users,
    addUser: (input) => json<UserView>('POST', '/api/v1/users', input),
    removeUser: (input) =>
      json<{ removed: number }>(
        'DELETE',
        `/api/v1/users/${segment(input.userId)}${query({ role: input.role, group: input.group })}`,
      ),
    linkUsers: async (a, b) =>
      (await json<{ users: UserView[] }>('POST', '/api/v1/users/link', { a, b })).users,
    setGroupAccess: (folder, access) =>
      json<GroupView>('PATCH', `/api/v1/groups/${segment(folder)}`, { access }),
    listApprovals: async (filter = {}) =>
      (
        await json<{ approvals: ApprovalView[] }>(
          'GET',
          `/api/v1/approvals${query({ status: filter.status, group: filter.folder })}`,
        )
      ).approvals,
    getApproval: (id) => json<ApprovalView>('GET', `/api/v1/approvals/${segment(id)}`),
    decideApproval: (id, choice) =>
      typeof choice === 'number'
        ? json<ApprovalView>('POST', `/api/v1/approvals/${segment(id)}/answer`, { option: choice })
        : json<ApprovalView>('POST', `/api/v1/approvals/${segment(id)}/${choice}`),
    listAudit: async (filter = {}) =>
      (
        await json<{ entries: AuditView[] }>(
          'GET',
          `/api/v1/audit${query({
            group: filter.folder,
            since: filter.since === undefined ? undefined : new Date(filter.since).toISOString(),
            limit: filter.limit,
          })}`,
        )
      ).entries,
  };
}

/** `?key=value&…` of the parameters that are set; empty when none is. */
function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const segment = encodeURIComponent;

/** Requests to the host's API with its token, and what the CLI says when they fail. */
class HostConnection {
  readonly baseUrl: string;
  readonly #options: HostClientOptions;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: HostClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async send(
    method: string,
    path: string,
    init: { body?: unknown; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const token = await this.#tokenOrExplain();
    try {
      return await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          [ACTOR_HEADER]: 'cli',
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: init.signal ?? AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw this.#connectionError(error);
    }
  }

  async json<T>(method: string, path: string, body: unknown, okStatuses: number[]): Promise<T> {
    const response = await this.send(method, path, body === undefined ? {} : { body });
    if (!response.ok && !okStatuses.includes(response.status)) throw await this.responseError(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async responseError(response: Response): Promise<CliError> {
    const text = await response.text().catch(() => '');
    let message = text || response.statusText;
    try {
      const body = JSON.parse(text) as { error?: unknown };
      if (typeof body.error === 'string') message = body.error;
    } catch {
      // not JSON: keep the text
    }
    if (response.status === 401) {
      return new CliError(
        `the host at ${this.baseUrl} refused the token from ${this.#options.tokenSource} (is NANOCLAW_DATA_DIR the host's?)`,
        EXIT.unavailable,
      );
    }
    return new CliError(`${message} (HTTP ${response.status})`, EXIT.failure);
  }

  async #tokenOrExplain(): Promise<string> {
    try {
      return this.#options.token();
    } catch (error) {
      if (!(await this.#answers())) throw new CliError(hostNotRunningMessage(this.baseUrl), EXIT.unavailable);
      throw new CliError(errorMessage(error), EXIT.unavailable);
    }
  }

  async #answers(): Promise<boolean> {
    try {
      const response = await this.#fetch(`${this.baseUrl}/healthz`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel();
      return true;
    } catch {
      return false;
    }
  }

  #connectionError(error: unknown): CliError {
    const baseUrl = this.baseUrl;
    if ((error as Error).name === 'TimeoutError') {
      return new CliError(
        `the host at ${baseUrl} did not answer within ${this.#timeoutMs / 1000} s`,
        EXIT.unavailable,
      );
    }
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (
      code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'EADDRNOTAVAIL' ||
      code === 'ECONNRESET'
    ) {
      return new CliError(hostNotRunningMessage(baseUrl), EXIT.unavailable);
    }
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    const reason = cause ? `${errorMessage(error)} (${cause})` : errorMessage(error);
    return new CliError(`cannot reach the host at ${baseUrl}: ${reason}`, EXIT.unavailable);
  }
}

async function pump(body: ReadableStream<Uint8Array>, onEvent: (event: HostEvent) => void): Promise<void> {
  const parser = createSseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const message of parser.push(decoder.decode(value, { stream: true }))) {
      const event = parseEvent(message.data);
      if (event) onEvent(event);
    }
  }
}

function parseEvent(data: string): HostEvent | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
      return value as HostEvent;
    }
  } catch {
    // a malformed event is skipped
  }
  return undefined;
}
