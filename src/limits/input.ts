/**
 * The shape check for a POST to /api/messages, before botbuilder sees it:
 * what the bot relies on must be there and of the right type, so hostile or
 * broken input gets a 400 with the reason instead of a crash deep inside a
 * turn. Anything else in the activity is passed through untouched.
 */
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_ID = 1024;

export function activityProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'the body must be a Bot Framework activity: a JSON object with a "type"';
  const a = body;
  if (typeof a.type !== 'string' || a.type.length === 0 || a.type.length > 64) return '"type" must be a string of 1 to 64 characters';
  if (!isObj(a.conversation)) return '"conversation" must be an object with an "id"';
  const conv = a.conversation;
  if (typeof conv.id !== 'string' || conv.id.length === 0 || conv.id.length > MAX_ID) return `"conversation.id" must be a string of 1 to ${MAX_ID} characters`;
  for (const f of ['id', 'channelId', 'serviceUrl', 'locale', 'text', 'textFormat', 'deliveryMode', 'replyToId', 'name', 'inputHint'] as const) {
    if (a[f] !== undefined && a[f] !== null && typeof a[f] !== 'string') return `"${f}" must be a string`;
  }
  for (const f of ['id', 'channelId'] as const) {
    if (typeof a[f] === 'string' && (a[f] as string).length > MAX_ID) return `"${f}" must be at most ${MAX_ID} characters`;
  }
  for (const f of ['from', 'recipient'] as const) {
    const v = a[f];
    if (v === undefined || v === null) continue;
    if (!isObj(v)) return `"${f}" must be an object`;
    if (v.id !== undefined && (typeof v.id !== 'string' || v.id.length > MAX_ID)) return `"${f}.id" must be a string of at most ${MAX_ID} characters`;
    if (v.name !== undefined && v.name !== null && typeof v.name !== 'string') return `"${f}.name" must be a string`;
  }
  for (const f of ['membersAdded', 'membersRemoved', 'attachments', 'entities', 'suggestedActions'] as const) {
    const v = a[f];
    if (v === undefined || v === null) continue;
    if (f === 'suggestedActions') {
      if (!isObj(v)) return '"suggestedActions" must be an object';
      continue;
    }
    if (!Array.isArray(v)) return `"${f}" must be an array`;
    if (v.length > 100) return `"${f}" must have at most 100 items`;
    if (!v.every(isObj)) return `every item of "${f}" must be an object`;
    if ((f === 'membersAdded' || f === 'membersRemoved') && !v.every((m) => typeof (m as { id?: unknown }).id === 'string')) {
      return `every item of "${f}" must have a string "id"`;
    }
  }
  const ids = [conv.id, a.id, a.channelId, (a.from as { id?: unknown } | undefined)?.id, (a.recipient as { id?: unknown } | undefined)?.id];
  if (ids.some((v) => typeof v === 'string' && v.includes('\u0000'))) return 'ids must not contain NUL characters';
  if (conv.tenantId !== undefined && conv.tenantId !== null && typeof conv.tenantId !== 'string') return '"conversation.tenantId" must be a string';
  if (a.channelData !== undefined && a.channelData !== null && !isObj(a.channelData)) return '"channelData" must be an object';
  return undefined;
}
