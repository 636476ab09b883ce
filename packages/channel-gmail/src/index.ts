export type { StoredToken } from './account-store.js';
export { accountDir, readToken, writeToken } from './account-store.js';
export {
  createGmailChannelFactory,
  GMAIL_ENV,
  gmailAccountDir,
  gmailChannel,
  gmailSettings,
} from './factory.js';
export { GMAIL_SCOPE } from './gmail-api.js';
export type { GmailChannel, GmailChannelOptions } from './gmail-channel.js';
export {
  createGmailChannel,
  GMAIL_DEFAULT_MAX_ATTACHMENT_MB,
  GMAIL_LIMITS,
  GMAIL_MAX_TEXT_LENGTH,
} from './gmail-channel.js';
export { GMAIL_CHANNEL } from './inbound.js';
export type { GmailLoginOptions } from './login.js';
export { codeFromRedirect, loginGmail, PASTE_REDIRECT_PORT } from './login.js';
export { HANDLED_LABEL } from './mailbox.js';
