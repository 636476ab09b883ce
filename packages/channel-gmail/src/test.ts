export type { FakeInjectInput, FakeMail, FakeSentMail } from './fake-gmail-mailbox.js';
export type { FakeFault, FakeGmailServer, FakeGmailServerOptions, FakeRequest } from './fake-gmail-server.js';
export { createFakeGmailServer } from './fake-gmail-server.js';
