import type { ConversationItem } from '../model/types.js';
import { userText } from './history-items.js';
import { loadPrompt } from './load-prompt.js';
import { parseJsonObject } from './replayable-arguments.js';

const MAX_FILES = 40;
const MAX_COMMANDS = 5;
const MAX_COMMAND_CHARS = 160;
/** apply_patch section headers that name a file (prompts/base.md documents the format). */
const PATCH_HEADER = /^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm;

/**
 * The note that replaces removed history when the model's summary is unusable: facts
 * read from the calls themselves (which tools, which files, the last commands), never
 * a guess at what they meant. Short on purpose: it has to fit where the summary would.
 */
export function mechanicalNote(
  removed: readonly ConversationItem[],
  why: string,
): ConversationItem {
  const counts = new Map<string, number>();
  const edited = new Set<string>();
  const read = new Set<string>();
  const commands: string[] = [];

  for (const item of removed) {
    if (item.type !== 'function_call') continue;
    counts.set(item.name, (counts.get(item.name) ?? 0) + 1);
    const args = parseJsonObject(item.arguments);
    if (!args) continue;
    if (typeof args.input === 'string' && item.name === 'apply_patch') {
      for (const match of args.input.matchAll(PATCH_HEADER)) {
        const file = (match[1] ?? match[2] ?? '').trim();
        if (file !== '') edited.add(file);
      }
    }
    if (typeof args.path === 'string' && args.path !== '') read.add(args.path);
    if (item.name === 'shell' && args.command !== undefined) {
      const command = Array.isArray(args.command)
        ? args.command.map(String).join(' ')
        : String(args.command);
      commands.push(
        command.length > MAX_COMMAND_CHARS ? `${command.slice(0, MAX_COMMAND_CHARS)}…` : command,
      );
    }
  }

  const calls =
    counts.size === 0
      ? 'none'
      : [...counts.entries()].map(([name, count]) => `${name} ×${count}`).join(', ');
  const files = [
    ...[...edited].map((file) => `${file} (edited)`),
    ...[...read].filter((file) => !edited.has(file)).map((file) => `${file} (read)`),
  ];
  const fileList =
    files.length === 0
      ? 'none recorded'
      : files.length > MAX_FILES
        ? `${files.slice(0, MAX_FILES).join(', ')} and ${files.length - MAX_FILES} more`
        : files.join(', ');
  const recent = commands.slice(-MAX_COMMANDS);
  const text = loadPrompt('compact-fallback', {
    why,
    calls,
    files: fileList,
    commands: recent.length === 0 ? 'none' : recent.map((c) => `\`${c}\``).join('; '),
  });
  return userText(text);
}
