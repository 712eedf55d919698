import type { FileSlot } from './file-overlay.js';
import type { ChangedFile } from './patch-types.js';

/**
 * What the patch did to each path, comparing the disk before with the result, in the
 * order the patch first named the paths. A file moved to another path is one `move` entry
 * (under its old path), also when it replaced a file there; a path created and removed
 * again by the same patch is left out.
 */
export function summarizeChanges(slots: readonly FileSlot[]): ChangedFile[] {
  const moveTargets = new Map<FileSlot, FileSlot>();
  for (const slot of slots) {
    const source = slot.movedFrom;
    const isMove =
      source !== undefined &&
      slot.current !== undefined &&
      source.original !== undefined &&
      source.current === undefined;
    if (isMove) moveTargets.set(source, slot);
  }
  const targets = new Set(moveTargets.values());

  const changed: ChangedFile[] = [];
  for (const slot of slots) {
    if (targets.has(slot)) continue;
    const target = moveTargets.get(slot);
    const path = slot.path.display;
    if (target !== undefined) {
      changed.push({ path, kind: 'move', movedTo: target.path.display });
    } else if (slot.current !== undefined) {
      changed.push({ path, kind: slot.original === undefined ? 'add' : 'update' });
    } else if (slot.original !== undefined) {
      changed.push({ path, kind: 'delete' });
    }
  }
  return changed;
}
