// The one door to the desktop shell: a typed wrapper per Tauri command. Nothing outside
// lib/backend imports @tauri-apps/*, so the commands' names and argument keys live here only.
import { Channel, invoke } from '@tauri-apps/api/core';
import { refusalOr } from '../refusal';
import type {
  AccessReport,
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
  LockState,
  QueuePage,
  Refusal,
  RequestDetail,
  Retention,
  TallyLine,
  Step,
  TriagePreview,
  BackupSummary,
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
  RestoreState,
  RestoreSummary,
  RevealField,
  SavedMapping,
  StoreInfo,
  StoreKind,
  UndoReport,
  Conflicts,
  SyncReport,
  SyncStatus,
  AssignInput,
  Assignment,
  AtRisk,
  CategoryService,
  DispatchQuery,
  Entry,
  Leader,
  Move,
  RequestDispatch,
  Shop,
  Skill,
  Slot,
  Suggestions,
  Volunteer,
  VolunteerDetail,
  VolunteerDraft,
  VolunteerFilter,
  VolunteerPatch,
  VolunteerRefdata,
  VolunteerSettings,
} from './bindings';

export type * from './bindings';
export { onFileDrop } from './drop';
export { onStoreWiped, onSyncProgress, onSyncStatus } from './events';

/** Turns whatever a rejected invoke carries into the ApiError every command promises. A rule's
 *  refusal comes worded in the official's language (its English message is the fallback). */
export function toApiError(e: unknown): ApiError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    const { code, message, refusal } = e as { code: unknown; message: unknown; refusal?: Refusal };
    if (refusal && typeof refusal === 'object') {
      return { code: String(code), message: refusalOr(refusal, String(message)), refusal };
    }
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
  storeUnlock: (passphrase: string) => call<StoreInfo>('store_unlock', { passphrase }),
  lockState: () => call<LockState>('lock_state'),
  lockNow: () => call<LockState>('lock_now'),
  lockOpen: (password: string) => call<LockState>('lock_open', { password }),
  lockIdleSet: (minutes: number) => call<LockState>('lock_idle_set', { minutes }),
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
  backupSave: (path: string, passphrase: string) => call<BackupSummary>('backup_save', { path, passphrase }),
  restoreState: () => call<RestoreState>('restore_state'),
  restoreFrom: (path: string, passphrase: string) => call<RestoreSummary>('restore_from', { path, passphrase }),
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
  retention: () => call<Retention>('retention'),
  retentionSet: (rule: Retention) => call<Retention>('retention_set', { rule }),
  /** Requests by month, category, priority, outcome and area, purged ones included. */
  requestsReport: () => call<TallyLine[]>('requests_report'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncLogin: (serverUrl: string, username: string, password: string) =>
    call<SyncStatus>('sync_login', { server_url: serverUrl, username, password }),
  syncLogout: () => call<SyncStatus>('sync_logout'),
  /** Who revealed or exported residents' data, per place, in [fromMs, toMs): from the server. */
  accessReport: (fromMs: number, toMs: number) => call<AccessReport>('access_report', { from_ms: fromMs, to_ms: toMs }),
  /** Pushes and pulls now; answers when done (progress comes as `sync-progress` events). */
  syncNow: () => call<SyncReport>('sync_now'),
  syncConflicts: () => call<Conflicts>('sync_conflicts'),
  /** "Apply mine again": the lost value set again as a new edit. */
  syncReapply: (id: string) => call<Conflicts>('sync_reapply', { id }),
  /** A conflict or a refusal marked as looked at (a refusal by its op id). */
  syncDismiss: (id: string) => call<Conflicts>('sync_dismiss', { id }),
  // Volunteers, dispatch and points.
  volunteersList: (filter: VolunteerFilter) => call<Volunteer[]>('volunteers_list', { filter }),
  volunteerDetail: (id: string) => call<VolunteerDetail>('volunteer_detail', { id }),
  volunteerCreate: (draft: VolunteerDraft) => call<Volunteer>('volunteer_create', { draft }),
  volunteerUpdate: (id: string, patch: VolunteerPatch) => call<Volunteer>('volunteer_update', { id, patch }),
  /** Every volunteer ranked for a request, best first (eligible before ineligible). */
  dispatchSuggest: (query: DispatchQuery) => call<Suggestions>('dispatch_suggest', { query }),
  dispatchAssign: (input: AssignInput) => call<Assignment>('dispatch_assign', { input }),
  /** What happened with an assignment; decline and release need a note (the reason). */
  assignmentRecord: (id: string, what: Move, note: string | null) =>
    call<Assignment>('assignment_record', { id, what, note }),
  /** The service was given: confirmed, and the category's points earned (within the daily cap). */
  assignmentConfirm: (id: string) => call<Assignment>('assignment_confirm', { id }),
  requestDispatch: (requestId: string) => call<RequestDispatch>('request_dispatch', { request_id: requestId }),
  volunteersAtRisk: () => call<AtRisk[]>('volunteers_at_risk'),
  assignmentsOpen: () => call<Assignment[]>('assignments_open'),
  pointsRedeem: (volunteerId: string, shopId: string, amount: number, note: string) =>
    call<Entry>('points_redeem', { volunteer_id: volunteerId, shop_id: shopId, amount, note }),
  pointsCorrect: (volunteerId: string, amount: number, reason: string) =>
    call<Entry>('points_correct', { volunteer_id: volunteerId, amount, reason }),
  /** One volunteer's ledger, or everyone's (null), newest first. */
  pointsLedger: (volunteerId: string | null) => call<Entry[]>('points_ledger', { volunteer_id: volunteerId }),
  pointsLeaderboard: (days: number, top: number) => call<Leader[]>('points_leaderboard', { days, top }),
  volunteerRefdata: () => call<VolunteerRefdata>('volunteer_refdata'),
  skillSet: (skill: Skill) => call<null>('skill_set', { skill }),
  shopSet: (shop: Shop) => call<Shop>('shop_set', { shop }),
  categoryServiceSet: (service: CategoryService) => call<null>('category_service_set', { service }),
  volunteerSettingsSet: (settings: VolunteerSettings) => call<null>('volunteer_settings_set', { settings }),
  /** Weekly hours as typed ("周一至周五 18:00-21:00"), understood; an `invalid` error says why not. */
  availabilityParse: (text: string) => call<Slot[]>('availability_parse', { text }),
};

/** The code a cancelled import_run rejects with. */
export const CANCELLED = 'cancelled';
