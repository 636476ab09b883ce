/**
 * The typed client of the host's HTTP API, as the signed-in browser uses it: same-origin requests with the
 * session cookie (`credentials: 'same-origin'`), and on every state-changing request the `x-nanoclaw-csrf`
 * header with the token `GET /auth/session` gave. A 401 anywhere means the session is gone (`onUnauthorized`).
 * Every failure is an `ApiError` with the host's message, code and (for validation errors) field.
 */
import type {
  AddTaskInput,
  ApprovalView,
  AuditView,
  GroupConfig,
  GroupView,
  HostStatus,
  PostedMessage,
  SandboxView,
  StoredMessage,
  TaskRun,
  TaskView,
  UsageRow,
  UserView,
} from './types.js';

export const CSRF_HEADER = 'x-nanoclaw-csrf';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the host did not answer. */
    readonly status: number,
    message: string,
    readonly code: string,
    /** The request field that was wrong (400 `invalid`), e.g. `schedule.expression` or `skills`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  fetch?: FetchLike;
  /** Called on any 401: the browser is not (or no longer) signed in. */
  onUnauthorized?: () => void;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type TaskAction = 'pause' | 'resume' | 'cancel';
export type ApprovalDecision = 'approve' | 'reject' | { option: number };

/** Reads an error response's JSON body (`{error, code, field}`), or falls back to the status line. */
export async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message =
    typeof record.error === 'string' ? record.error : `HTTP ${response.status} ${response.statusText}`.trim();
  const code = typeof record.code === 'string' ? record.code : `http-${response.status}`;
  const field = typeof record.field === 'string' ? record.field : undefined;
  return new ApiError(response.status, message, code, field);
}

export function createApiClient(options: ApiClientOptions = {}) {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  let csrfToken: string | undefined;

  async function send(method: Method, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') {
      if (csrfToken !== undefined) headers[CSRF_HEADER] = csrfToken;
      if (body !== undefined) headers['content-type'] = 'application/json';
    }
    try {
      return await doFetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ApiError(0, `the host did not answer (${why})`, 'network');
    }
  }

  /** `GET /auth/session`: the CSRF token when signed in, null on 401 (not signed in). */
  async function session(): Promise<{ csrfToken: string } | null> {
    const response = await send('GET', '/auth/session');
    if (response.status === 401) {
      csrfToken = undefined;
      return null;
    }
    if (!response.ok) throw await toApiError(response);
    const body = (await response.json()) as { csrfToken: string };
    csrfToken = body.csrfToken;
    return body;
  }

  async function request<T>(method: Method, path: string, body?: unknown, retried = false): Promise<T> {
    const response = await send(method, path, body);
    if (response.status === 401) options.onUnauthorized?.();
    if (!response.ok) {
      const error = await toApiError(response);
      // A sign-in from another tab (a new login link) replaced this browser's session and its CSRF token: take
      // the new token and try once more.
      if (error.code === 'csrf' && !retried && (await session()) !== null)
        return request(method, path, body, true);
      throw error;
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  return {
    session,
    async logout(): Promise<void> {
      const response = await send('POST', '/auth/logout');
      if (!response.ok && response.status !== 401) throw await toApiError(response);
      csrfToken = undefined;
    },
    ...endpoints(request),
  };
}

type Requester = <T>(method: Method, path: string, body?: unknown) => Promise<T>;

const seg = encodeURIComponent;

/** One method per route the dashboard uses (see apps/host/src/http/routes.ts and people-routes.ts). */
function endpoints(request: Requester) {
  return {
    status: () => request<HostStatus>('GET', '/api/v1/status'),
    groups: () => request<{ groups: GroupView[] }>('GET', '/api/v1/groups'),
    messages: (folder: string, limit = 50) =>
      request<{ messages: StoredMessage[] }>('GET', `/api/v1/groups/${seg(folder)}/messages?limit=${limit}`),
    postMessage: (folder: string, text: string) =>
      request<PostedMessage>('POST', `/api/v1/groups/${seg(folder)}/messages`, { text }),
    config: (folder: string) => request<GroupConfig>('GET', `/api/v1/groups/${seg(folder)}/config`),
    putConfig: (folder: string, config: unknown) =>
      request<GroupConfig>('PUT', `/api/v1/groups/${seg(folder)}/config`, config),
    tasks: (folder?: string) =>
      request<{ tasks: TaskView[] }>('GET', `/api/v1/tasks${folder ? `?group=${seg(folder)}` : ''}`),
    addTask: (input: AddTaskInput, dryRun = false) =>
      request<TaskView>('POST', `/api/v1/tasks${dryRun ? '?dryRun=1' : ''}`, input),
    taskAction: (id: string, action: TaskAction) =>
      request<TaskView>('POST', `/api/v1/tasks/${seg(id)}/${action}`),
    runs: (taskId: string, limit = 20) =>
      request<{ runs: TaskRun[] }>('GET', `/api/v1/runs?task=${seg(taskId)}&limit=${limit}`),
    usage: (days = 30) => request<{ usage: UsageRow[] }>('GET', `/api/v1/usage?days=${days}`),
    sandboxes: () => request<{ sandboxes: SandboxView[] }>('GET', '/api/v1/sandboxes'),
    killSandbox: (id: string) =>
      request<{ id: string; killed: boolean }>('POST', `/api/v1/sandboxes/${seg(id)}/kill`),
    approvals: () => request<{ approvals: ApprovalView[] }>('GET', '/api/v1/approvals?status=pending'),
    decide: (id: string, decision: ApprovalDecision) =>
      typeof decision === 'string'
        ? request<ApprovalView>('POST', `/api/v1/approvals/${seg(id)}/${decision}`)
        : request<ApprovalView>('POST', `/api/v1/approvals/${seg(id)}/answer`, decision),
    users: () => request<{ users: UserView[] }>('GET', '/api/v1/users'),
    audit: (limit = 100) => request<{ entries: AuditView[] }>('GET', `/api/v1/audit?limit=${limit}`),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
