/** What every bench shares: its JSON report in `bench/results/<name>.json` and env-overridable sizes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/** Writes `{name, date, machine, ...extra, results}` and says where. */
export function writeBenchReport(name: string, results: unknown, extra: Record<string, unknown> = {}): void {
  const file = path.join(resultsDir, `${name}.json`);
  fs.mkdirSync(resultsDir, { recursive: true });
  const report = {
    name,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    ...extra,
    results,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

/** A positive whole number from the environment, else the fallback. */
export function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** A non-empty string from the environment, else undefined. */
export function envString(name: string): string | undefined {
  return process.env[name] || undefined;
}
