import { createApplyPatchTool } from './apply-patch.js';
import { createListDirTool } from './list-dir.js';
import { createReadFileTool } from './read-file.js';
import { createSearchTool } from './search.js';
import { createShellTool } from './shell.js';
import type { Tool } from './types.js';
import { createUpdatePlanTool } from './update-plan.js';
import { createViewImageTool } from './view-image.js';

/**
 * The tools every run gets, in a fixed order: the order is part of the cached prompt
 * prefix. view_image only where the provider accepts images, so the model is never
 * offered a tool whose result the provider would reject.
 */
export function createDefaultTools(options: { readonly images: boolean }): Tool[] {
  return [
    createShellTool(),
    createApplyPatchTool(),
    createReadFileTool(),
    createListDirTool(),
    createSearchTool(),
    createUpdatePlanTool(),
    ...(options.images ? [createViewImageTool()] : []),
  ];
}
