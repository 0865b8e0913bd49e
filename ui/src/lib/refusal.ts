// A refusal from a rule (on this computer or on the server) worded in the official's language.
// The backend sends a code with its values (`Refusal`); the English `message` beside it is the
// fallback for a code this build does not know (a newer server).
import type { ApiError, Refusal } from './backend/bindings';
import { fieldLabel, hasKey, t } from './i18n/index.svelte';

type Params = Record<string, string | number>;

function label(prefix: string, code: string): string {
  const key = `${prefix}${code}`;
  return hasKey(key) ? t(key) : code;
}

/** The values a message names, each as the official reads it (a status, not its code). */
function params(r: Refusal): Params {
  const p: Params = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'string' || typeof v === 'number') p[k] = v;
  switch (r.code) {
    case 'volunteer_unwell':
      p.health = label('health.', r.health);
      break;
    case 'task_not_done':
      p.status = label('as.', r.status);
      break;
    case 'step':
      p.action = label('act.', r.action);
      p.status = label('status.', r.status);
      break;
    case 'finished_keeps_priority':
      p.status = label('status.', r.status);
      break;
    case 'same_priority':
      p.priority = label('priority.', r.priority);
      break;
    case 'empty_text':
    case 'text_too_long':
      p.what = label('refusal.what.', r.what);
      break;
    case 'reference_data':
      p.role = label('sync.role.', r.role);
      break;
    case 'cannot_reapply':
      p.field = fieldLabel(r.field);
      break;
  }
  return p;
}

/** The refusal in the current language, or null when this build does not know its code. */
export function refusalText(r: Refusal): string | null {
  const key = r.code === 'availability' ? `refusal.availability.${r.problem}` : `refusal.${r.code}`;
  return hasKey(key) ? t(key, params(r)) : null;
}

/** What to show for a refusal stored or sent with its English reason beside it. */
export function refusalOr(r: Refusal | null | undefined, english: string): string {
  return (r && refusalText(r)) || english;
}

/** An error's message for the official: a refusal worded in their language, else the message. */
export function errorText(e: ApiError): string {
  return refusalOr(e.refusal, e.message);
}
