// The volunteer path of the import wizard: one typed wrapper per command of
// src-tauri/src/volunteer_import.rs. Cancelling is `api.importCancel` (one import runs at a
// time, resident or volunteer roster alike).
import { Channel, invoke } from '@tauri-apps/api/core';
import { toApiError } from './index';
import type { ImportEvent, ImportPreview, ImportRequest, SavedMapping, VolunteerImportReport } from './bindings';

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

export const volunteerImport = {
  /** A volunteer roster's sheets, with its columns read as volunteer fields. */
  preview: (path: string) => call<ImportPreview>('volunteer_import_preview', { path }),
  /** A dry run or the import; `onEvent` receives its progress. */
  run: (request: ImportRequest, onEvent: (e: ImportEvent) => void) => {
    const channel = new Channel<ImportEvent>();
    channel.onmessage = onEvent;
    return call<VolunteerImportReport>('volunteer_import_run', { request, on_event: channel });
  },
  mappingsList: () => call<SavedMapping[]>('volunteer_mappings_list'),
  mappingSave: (mapping: SavedMapping) => call<SavedMapping[]>('volunteer_mapping_save', { mapping }),
};
