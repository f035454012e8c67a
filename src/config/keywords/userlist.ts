// `userlist NAME` sections (configuration.txt 3.4): `group NAME [users U1,U2…]` and `user NAME
// [password HASH | insecure-password PW] [groups G1,G2…]`, for `http_auth(NAME)` and
// `http_auth_group(NAME)`. A password hash handoff cannot verify is an error naming its scheme:
// no user is ever let in, or kept out, by a check handoff does not make.
import { cryptScheme } from '../../auth/crypt.ts';
import { diagnostic } from '../diagnostics.ts';
import type { GlobalDraft } from '../draft.ts';
import type { Diagnostic, Location, Userlist } from '../model.ts';
import type { RawLine, RawSection } from '../parse.ts';

const NAME = /^[A-Za-z0-9_.:-]+$/;

type User = Userlist['users'][number];

/** Comma-separated names, empty ones skipped (HAProxy's strtok). */
function names(list: string): string[] {
  return list.split(',').filter((n) => n !== '');
}

function readGroup(ul: Userlist, line: RawLine, members: Map<string, { users: string[]; loc: Location }>, diags: Diagnostic[]): void {
  const [, name, ...opts] = line.words;
  const err = (m: string): void => void diags.push(diagnostic('error', line.loc, m));
  if (name === undefined) return err("'group' expects <name> as argument");
  if (!NAME.test(name)) return err(`invalid group name '${name}' (letters, digits, '_', '.', ':', '-')`);
  if (ul.groups.includes(name)) return void diags.push(diagnostic('warning', line.loc, `ignoring duplicated group '${name}' in userlist '${ul.name}'`));
  const users: string[] = [];
  for (let i = 0; i < opts.length; i += 2) {
    if (opts[i] !== 'users' || opts[i + 1] === undefined) return err("'group' only supports the 'users' option: 'group NAME users U1,U2'");
    users.push(...names(opts[i + 1] as string));
  }
  ul.groups.push(name);
  members.set(name, { users, loc: line.loc });
}

function readUser(ul: Userlist, line: RawLine, wanted: Map<User, { groups: string[]; loc: Location }>, diags: Diagnostic[]): void {
  const [, name, ...opts] = line.words;
  const err = (m: string): void => void diags.push(diagnostic('error', line.loc, m));
  if (name === undefined) return err("'user' expects <name> as argument");
  if (ul.users.some((u) => u.name === name)) return void diags.push(diagnostic('warning', line.loc, `ignoring duplicated user '${name}' in userlist '${ul.name}'`));
  const user: User = { name, groups: [] };
  const groups: string[] = [];
  for (let i = 0; i < opts.length; i += 2) {
    const kw = opts[i] as string;
    const value = opts[i + 1];
    if (value === undefined || (kw !== 'password' && kw !== 'insecure-password' && kw !== 'groups')) {
      return err("'user' only supports the 'password', 'insecure-password' and 'groups' options, each with a value");
    }
    if (kw === 'groups') groups.push(...names(value));
    else if (kw === 'insecure-password') user.password = { kind: 'insecure', value };
    else {
      const scheme = cryptScheme(value);
      if (scheme.ok) user.password = { kind: 'hash', value };
      else {
        // Kept without a password (it would never authenticate) so its groups do not cascade into more errors.
        err(`user '${name}': the password hash is ${scheme.scheme}, which handoff cannot verify (it checks SHA-512-crypt '$6$', SHA-256-crypt '$5$' and MD5-crypt '$1$'); refusing to run with a user it could not authenticate`);
        user.password = { kind: 'hash', value: '' };
      }
    }
  }
  if (user.password === undefined) diags.push(diagnostic('warning', line.loc, `user '${name}' has no password: it never authenticates`));
  ul.users.push(user);
  wanted.set(user, { groups, loc: line.loc });
}

/** Both ways of naming members end up as each user's groups; a name that does not exist is an error. */
function resolveGroups(ul: Userlist, members: Map<string, { users: string[]; loc: Location }>, wanted: Map<User, { groups: string[]; loc: Location }>, diags: Diagnostic[]): void {
  for (const [user, w] of wanted) {
    for (const g of w.groups) {
      if (!ul.groups.includes(g)) diags.push(diagnostic('error', w.loc, `userlist '${ul.name}': no such group '${g}' specified in user '${user.name}'`));
      else if (!user.groups.includes(g)) user.groups.push(g);
    }
  }
  for (const [group, m] of members) {
    for (const u of m.users) {
      const user = ul.users.find((x) => x.name === u);
      if (user === undefined) diags.push(diagnostic('error', m.loc, `userlist '${ul.name}': no such user '${u}' specified in group '${group}'`));
      else if (!user.groups.includes(group)) user.groups.push(group);
    }
  }
}

/** Read one `userlist` section into `global.userlists`. */
export function readUserlist(global: GlobalDraft, section: RawSection, diags: Diagnostic[]): void {
  const [name, ...extra] = section.args;
  if (name === undefined) return void diags.push(diagnostic('error', section.loc, "'userlist' expects <name> as argument"));
  if (extra.length > 0) return void diags.push(diagnostic('error', section.loc, `unexpected '${extra.join(' ')}' after the userlist name`));
  if (!NAME.test(name)) return void diags.push(diagnostic('error', section.loc, `invalid userlist name '${name}' (letters, digits, '_', '.', ':', '-')`));
  if (global.userlists[name] !== undefined) return void diags.push(diagnostic('warning', section.loc, `ignoring duplicated userlist '${name}'`));
  const ul: Userlist = { name, users: [], groups: [], loc: section.loc };
  const members = new Map<string, { users: string[]; loc: Location }>();
  const wanted = new Map<User, { groups: string[]; loc: Location }>();
  for (const line of section.lines) {
    const kw = line.words[0];
    if (kw === 'group') readGroup(ul, line, members, diags);
    else if (kw === 'user') readUser(ul, line, wanted, diags);
    else diags.push(diagnostic('error', line.loc, `unknown keyword '${kw ?? ''}' in 'userlist' section (expected 'user' or 'group')`));
  }
  resolveGroups(ul, members, wanted, diags);
  global.userlists[name] = ul;
}
