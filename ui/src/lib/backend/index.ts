// The one door to the desktop shell: a typed wrapper per Tauri command. Nothing outside
// lib/backend imports @tauri-apps/*, so the commands' names and argument keys live here only.
import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  ApiError,
  AreaOption,
  BulkOutcome,
  Category,
  CheckinReport,
  Mode,
  NewRequest,
  Outcome,
  PreviewRequest,
  Priority,
  QueueFilter,
  QueuePage,
  RequestDetail,
  Step,
  TriagePreview,
  BatchSummary,
  Facets,
  FilePurpose,
  ImportEvent,
  ImportPreview,
  ImportReport,
  ImportRequest,
  PrintKind,
  PrintList,
  ResidentDetail,
  ResidentEdit,
  ResidentPage,
  ResidentQuery,
  RevealField,
  SavedMapping,
  StoreInfo,
  StoreKind,
  UndoReport,
  Conflicts,
  SyncReport,
  SyncStatus,
} from './bindings';

export type * from './bindings';
export { onFileDrop } from './drop';
export { onSyncProgress, onSyncStatus } from './events';

/** Turns whatever a rejected invoke carries into the ApiError every command promises. */
export function toApiError(e: unknown): ApiError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) };
  }
  if (typeof e === 'string') return { code: 'internal', message: e };
  if (e instanceof Error) {
    // No shell around the page (a plain browser): invoke has nothing to call.
    const shell = typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
    return { code: shell ? 'internal' : 'no_backend', message: e.message };
  }
  return { code: 'internal', message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

export const api = {
  appInfo: () => call<StoreInfo>('app_info'),
  openStore: (kind: StoreKind) => call<StoreInfo>('open_store', { kind }),
  residentsPage: (query: ResidentQuery) => call<ResidentPage>('residents_page', { query }),
  residentFacets: () => call<Facets>('resident_facets'),
  residentDetail: (id: string) => call<ResidentDetail>('resident_detail', { id }),
  residentReveal: (id: string, field: RevealField) => call<string>('resident_reveal', { id, field }),
  residentUpdate: (id: string, edit: ResidentEdit) => call<ResidentDetail>('resident_update', { id, edit }),
  printList: (query: ResidentQuery, kind: PrintKind) => call<PrintList>('print_list', { query, kind }),
  residentsExport: (query: ResidentQuery, path: string) => call<number>('residents_export', { query, path }),
  importPreview: (path: string) => call<ImportPreview>('import_preview', { path }),
  /** A dry run or the import; `onEvent` receives its progress. */
  importRun: (request: ImportRequest, onEvent: (e: ImportEvent) => void) => {
    const channel = new Channel<ImportEvent>();
    channel.onmessage = onEvent;
    return call<ImportReport>('import_run', { request, on_event: channel });
  },
  importCancel: () => call<boolean>('import_cancel'),
  importHistory: () => call<BatchSummary[]>('import_history'),
  importUndo: (batchId: string) => call<UndoReport>('import_undo', { batch_id: batchId }),
  mappingsList: () => call<SavedMapping[]>('mappings_list'),
  mappingSave: (mapping: SavedMapping) => call<SavedMapping[]>('mapping_save', { mapping }),
  rejectedExport: (source: string, report: ImportReport, path: string) =>
    call<number>('rejected_export', { source, report, path }),
  templateSave: (path: string) => call<null>('template_save', { path }),
  pickFile: (purpose: FilePurpose) => call<string | null>('pick_file', { purpose }),
  firstPaint: () => call<null>('first_paint'),
  requestsQueue: (filter: QueueFilter, offset: number, limit: number) =>
    call<QueuePage>('requests_queue', { filter, offset, limit }),
  requestDetail: (id: string) => call<RequestDetail>('request_detail', { id }),
  requestCategories: () => call<Category[]>('request_categories'),
  requestPreview: (preview: PreviewRequest) => call<TriagePreview>('request_preview', { preview }),
  requestCreate: (request: NewRequest) => call<Outcome>('request_create', { request }),
  /** One step on one or many requests; each is its own transaction. */
  requestStep: (ids: string[], step: Step) => call<BulkOutcome>('request_step', { ids, step }),
  requestPriority: (id: string, priority: Priority, reason: string) =>
    call<Outcome>('request_priority', { id, priority, reason }),
  requestMerge: (duplicate: string, keep: string) => call<Outcome>('request_merge', { duplicate, keep }),
  areas: () => call<AreaOption[]>('areas'),
  checkinsGenerate: () => call<CheckinReport>('checkins_generate'),
  districtMode: () => call<Mode>('district_mode'),
  districtModeSet: (mode: Mode) => call<number>('district_mode_set', { mode }),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncLogin: (serverUrl: string, username: string, password: string) =>
    call<SyncStatus>('sync_login', { server_url: serverUrl, username, password }),
  syncLogout: () => call<SyncStatus>('sync_logout'),
  /** Pushes and pulls now; answers when done (progress comes as `sync-progress` events). */
  syncNow: () => call<SyncReport>('sync_now'),
  syncConflicts: () => call<Conflicts>('sync_conflicts'),
  /** "Apply mine again": the lost value set again as a new edit. */
  syncReapply: (id: string) => call<Conflicts>('sync_reapply', { id }),
  /** A conflict or a refusal marked as looked at (a refusal by its op id). */
  syncDismiss: (id: string) => call<Conflicts>('sync_dismiss', { id }),
};

/** The code a cancelled import_run rejects with. */
export const CANCELLED = 'cancelled';
