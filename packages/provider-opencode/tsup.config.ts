import { defineConfig } from 'tsup';
import { providerBuild } from '../../tsup.base';

export default defineConfig({ ...providerBuild, entry: ['src/index.ts', 'src/host.ts', 'src/internal.ts'] });
