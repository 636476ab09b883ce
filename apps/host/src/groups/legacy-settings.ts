import fs from 'node:fs';
import path from 'node:path';
import { groupFolderSchema, type Logger } from '@nanoclaw/core';
import { groupSettingsFile, LEGACY_SETTINGS_FILE } from './container-config-file.js';

/**
 * Marks a groups folder whose settings already live beside the group folders (`groups/<folder>.container.json`): after it
 * exists, a `container.json` inside a group folder is never moved out again, since only the agent could have
 * written it there.
 */
export const SETTINGS_LAYOUT_MARKER = '.nanoclaw-settings-layout';

const MARKER_TEXT =
  "2\nA group's settings are groups/<folder>.container.json, beside its folder: its agent can write only the folder itself.\n";

export interface LegacySettingsReport {
  /** Folders whose `container.json` became `groups/<folder>.container.json` now. */
  moved: string[];
  /** Folders with a `container.json` that is not read (settings beside the folder exist, or it came later). */
  ignored: string[];
}

/**
 * Settings used to be `groups/<folder>/container.json`, inside the folder the agent can write. At the first start
 * that finds this groups folder without the marker, each such file (a regular file, never through a symlink)
 * becomes `groups/<folder>.container.json` when that does not exist yet, and the marker is written. From then on a
 * `container.json` in a group folder is not read, and reported, so the user can move it if it is theirs.
 */
export function moveLegacySettings(groupsDir: string): LegacySettingsReport {
  const report: LegacySettingsReport = { moved: [], ignored: [] };
  const marker = path.join(groupsDir, SETTINGS_LAYOUT_MARKER);
  const firstTime = !fs.existsSync(marker);
  for (const entry of fs.readdirSync(groupsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !groupFolderSchema.safeParse(entry.name).success) continue;
    const legacy = path.join(groupsDir, entry.name, LEGACY_SETTINGS_FILE);
    if (!fs.lstatSync(legacy, { throwIfNoEntry: false })?.isFile()) continue;
    const target = path.join(groupsDir, groupSettingsFile(entry.name));
    if (firstTime && !fs.lstatSync(target, { throwIfNoEntry: false })) {
      fs.renameSync(legacy, target);
      report.moved.push(entry.name);
    } else {
      report.ignored.push(entry.name);
    }
  }
  if (firstTime) fs.writeFileSync(marker, MARKER_TEXT, { mode: 0o644 });
  return report;
}

/** Says what `moveLegacySettings` did: each move once, and each ignored file with the command to move it. */
export function logLegacySettings(report: LegacySettingsReport, logger: Logger): void {
  for (const folder of report.moved) {
    logger.info(
      { folder, to: `groups/${groupSettingsFile(folder)}` },
      `moved groups/${folder}/${LEGACY_SETTINGS_FILE} to groups/${groupSettingsFile(folder)}: a group's settings now live beside its folder, out of its agent's reach`,
    );
  }
  for (const folder of report.ignored) {
    logger.warn(
      { folder },
      `groups/${folder}/${LEGACY_SETTINGS_FILE} is not read (the agent can write its folder; settings are groups/${groupSettingsFile(folder)}). If it is yours: mv groups/${folder}/${LEGACY_SETTINGS_FILE} groups/${groupSettingsFile(folder)}`,
    );
  }
}
