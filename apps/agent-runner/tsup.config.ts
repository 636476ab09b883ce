import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts', 'src/mcp-server.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  // The sandbox has node and this dist folder only: bundle every dependency (vscode-jsonrpc, zod, the built-in
  // providers; their native programs are mounted by the host).
  // Provider packages loaded by a variable specifier in load-provider.ts stay runtime imports.
  noExternal: [/.*/],
  // Each entry is a single self-contained file.
  splitting: false,
  // vscode-jsonrpc is CommonJS and requires node builtins; give the ESM bundle a real `require`.
  banner: {
    js: "import { createRequire as __nanoclawCreateRequire } from 'node:module';\nconst require = __nanoclawCreateRequire(import.meta.url);",
  },
});
