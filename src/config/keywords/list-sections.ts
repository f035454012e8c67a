// Sections that are named lists other sections refer to: `userlist` and `http-errors`.
import type { GlobalDraft } from '../draft.ts';
import type { Diagnostic } from '../model.ts';
import type { RawSection } from '../parse.ts';
import { readHttpErrors } from './http-errors.ts';
import { readUserlist } from './userlist.ts';

export function readListSection(global: GlobalDraft, section: RawSection, diags: Diagnostic[]): void {
  if (section.kind === 'userlist') readUserlist(global, section, diags);
  else readHttpErrors(global, section, diags);
}
