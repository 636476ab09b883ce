import { gmail, type gmail_v1, auth as googleAuth } from '@googleapis/gmail';

type OAuth2Client = InstanceType<typeof googleAuth.OAuth2>;

export const GMAIL_DEFAULT_API_ROOT = 'https://gmail.googleapis.com/';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
/** Read, label, mark read and send: the narrowest scope that covers them. */
export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';

export interface GmailClientOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** The Gmail REST root (a loopback fake in tests). Default `https://gmail.googleapis.com/`. */
  apiRoot?: string;
  /** The OAuth token endpoint (a loopback fake in tests). */
  tokenUrl?: string;
}

export type GmailApi = gmail_v1.Gmail;

/** The OAuth2 client of an installed app, pointed at `tokenUrl`; it refreshes the access token itself. */
export function createOAuthClient(options: {
  clientId: string;
  clientSecret: string;
  tokenUrl?: string;
  authUrl?: string;
  redirectUri?: string;
}): OAuth2Client {
  return new googleAuth.OAuth2({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.redirectUri ? { redirectUri: options.redirectUri } : {}),
    // A 401 (the access token expired or was revoked early) refreshes once and retries, even before expiry.
    forceRefreshOnFailure: true,
    endpoints: {
      oauth2TokenUrl: options.tokenUrl ?? GOOGLE_TOKEN_URL,
      oauth2AuthBaseUrl: options.authUrl ?? GOOGLE_AUTH_URL,
    },
  });
}

/**
 * The Gmail client on the account's refresh token. Its own retries are off: 429 and Retry-After are handled by
 * the poll loop (backoff) and by `send` (the outbox retries after `retryAfterMs`).
 */
export function createGmailApi(options: GmailClientOptions): GmailApi {
  const auth = createOAuthClient(options);
  auth.setCredentials({ refresh_token: options.refreshToken });
  const rootUrl = (options.apiRoot ?? GMAIL_DEFAULT_API_ROOT).replace(/\/*$/, '/');
  return gmail({ version: 'v1', auth, rootUrl, retry: false });
}
