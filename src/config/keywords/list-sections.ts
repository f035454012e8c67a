// Sections that are named lists other sections refer to: `userlist`, `http-errors`, `resolvers`.
import type { GlobalDraft } from '../draft.ts';
import type { Diagnostic } from '../model.ts';
import type { RawSection } from '../parse.ts';
import { readHttpErrors } from './http-errors.ts';
import { readUserlist } from './userlist.ts';
import { readResolvers } from './resolvers.ts';

export function readListSection(global: GlobalDraft, section: RawSection, diags: Diagnostic[]): void {
  if (section.kind === 'userlist') readUserlist(global, section, diags);
  else if (section.kind === 'resolvers') readResolvers(global, section, diags);
  else readHttpErrors(global, section, diags);
}
