/** The runner's version, sent in `runner/ready`; kept equal to package.json by a test. */
export const RUNNER_VERSION = '0.1.0';
