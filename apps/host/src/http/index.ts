export { API_TOKEN_FILE, apiTokenPath, ensureApiToken, generateApiToken, readApiToken } from './api-token.js';
export type { HttpApi, HttpApiOptions } from './http-api.js';
export { createHttpApi, createTokenCheck, DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT } from './http-api.js';
export type { ErrorBody } from './http-error.js';
export { HttpError, toHttpError } from './http-error.js';
export { DEFAULT_BODY_LIMIT_BYTES } from './json-body.js';
export { DEFAULT_HEARTBEAT_MS, formatEvent } from './sse.js';
