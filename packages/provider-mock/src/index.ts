export { directiveScript, type ParsedDirectives, parseDirectives } from './directive-script.js';
export { isMockSessionNotFound, McpClientError, MockSessionNotFoundError } from './errors.js';
export type { McpClient, McpStdioClientOptions, McpTool, McpToolResult } from './mcp-client.js';
export { connectMcpStdio, MCP_PROTOCOL_VERSION } from './mcp-client.js';
export { createMockProvider, MOCK_CONTINUATION_PREFIX, mockProvider } from './mock-provider.js';
export type {
  MockCall,
  MockProvider,
  MockProviderOptions,
  MockReply,
  MockReplyFn,
  MockStep,
  MockToolCall,
  MockToolResult,
  MockTurnContext,
  MockUsage,
} from './types.js';
