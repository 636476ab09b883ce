/**
 * The slice of the generated app-server protocol (`src/generated`, from the pinned binary) this provider
 * speaks. Only this file imports from `generated/`.
 */

import type { ApplyPatchApprovalResponse } from './generated/ApplyPatchApprovalResponse.js';
import type { ClientRequest } from './generated/ClientRequest.js';
import type { ExecCommandApprovalResponse } from './generated/ExecCommandApprovalResponse.js';
import type { InitializeResponse } from './generated/InitializeResponse.js';
import type { ServerNotification } from './generated/ServerNotification.js';
import type { ServerRequest } from './generated/ServerRequest.js';
import type { CommandExecutionRequestApprovalResponse } from './generated/v2/CommandExecutionRequestApprovalResponse.js';
import type { CurrentTimeReadResponse } from './generated/v2/CurrentTimeReadResponse.js';
import type { DynamicToolCallResponse } from './generated/v2/DynamicToolCallResponse.js';
import type { FileChangeRequestApprovalResponse } from './generated/v2/FileChangeRequestApprovalResponse.js';
import type { McpServerElicitationRequestResponse } from './generated/v2/McpServerElicitationRequestResponse.js';
import type { PermissionsRequestApprovalResponse } from './generated/v2/PermissionsRequestApprovalResponse.js';
import type { ThreadBackgroundTerminalsCleanResponse } from './generated/v2/ThreadBackgroundTerminalsCleanResponse.js';
import type { ThreadCompactStartResponse } from './generated/v2/ThreadCompactStartResponse.js';
import type { ThreadItem } from './generated/v2/ThreadItem.js';
import type { ThreadResumeResponse } from './generated/v2/ThreadResumeResponse.js';
import type { ThreadStartResponse } from './generated/v2/ThreadStartResponse.js';
import type { ThreadTokenUsage } from './generated/v2/ThreadTokenUsage.js';
import type { TokenUsageBreakdown } from './generated/v2/TokenUsageBreakdown.js';
import type { ToolRequestUserInputResponse } from './generated/v2/ToolRequestUserInputResponse.js';
import type { Turn } from './generated/v2/Turn.js';
import type { TurnError } from './generated/v2/TurnError.js';
import type { TurnInterruptResponse } from './generated/v2/TurnInterruptResponse.js';
import type { TurnStartResponse } from './generated/v2/TurnStartResponse.js';

export type {
  InitializeResponse,
  ServerNotification,
  ServerRequest,
  ThreadItem,
  ThreadTokenUsage,
  TokenUsageBreakdown,
  Turn,
  TurnError,
};

/** Client→server methods this provider calls, with their result types. */
export interface ClientResponses {
  initialize: InitializeResponse;
  'thread/start': ThreadStartResponse;
  'thread/resume': ThreadResumeResponse;
  'turn/start': TurnStartResponse;
  'turn/interrupt': TurnInterruptResponse;
  'thread/compact/start': ThreadCompactStartResponse;
  'thread/backgroundTerminals/clean': ThreadBackgroundTerminalsCleanResponse;
}
export type ClientMethod = keyof ClientResponses;
export type ClientParams<M extends ClientMethod> = Extract<ClientRequest, { method: M }>['params'];

export type NotificationOf<M extends ServerNotification['method']> = Extract<
  ServerNotification,
  { method: M }
>;
export type ServerRequestMethod = ServerRequest['method'];

/** The result each answered server→client request gets. */
export interface ServerRequestResults {
  'item/commandExecution/requestApproval': CommandExecutionRequestApprovalResponse;
  'item/fileChange/requestApproval': FileChangeRequestApprovalResponse;
  'item/permissions/requestApproval': PermissionsRequestApprovalResponse;
  'item/tool/requestUserInput': ToolRequestUserInputResponse;
  'mcpServer/elicitation/request': McpServerElicitationRequestResponse;
  'item/tool/call': DynamicToolCallResponse;
  'currentTime/read': CurrentTimeReadResponse;
  execCommandApproval: ExecCommandApprovalResponse;
  applyPatchApproval: ApplyPatchApprovalResponse;
}
