// `show resolvers [NAME]`: the nameservers' counters of each resolvers section, HAProxy 2.6's layout.
import { CommandError, type Command } from '../command.ts';
import type { NameserverCounters } from '../target.ts';

/** HAProxy 2.6's layout; counters handoff does not keep are 0. */
export function renderResolvers(sections: readonly { name: string; nameservers: readonly NameserverCounters[] }[], only?: string): string {
  if (sections.length === 0) return 'No resolvers found\n';
  const chosen = only === undefined ? sections : sections.filter((s) => s.name === only);
  return chosen.map((s) => `Resolvers section ${s.name}\n${s.nameservers.map(nameserverBlock).join('')}`).join('');
}

function nameserverBlock(c: NameserverCounters): string {
  const rows: [string, number][] = [
    ['sent', c.sent], ['snd_error', 0], ['valid', c.valid], ['update', 0], ['cname', 0], ['cname_error', 0], ['any_err', 0],
    ['nx', c.nx], ['timeout', c.timeout], ['refused', c.refused], ['other', c.other], ['invalid', 0], ['too_big', 0], ['truncated', 0], ['outdated', 0],
  ];
  return ` nameserver ${c.name}:\n${rows.map(([k, v]) => `  ${`${k}:`.padEnd(13)}${v}\n`).join('')}`;
}

export const resolverCommands: Command[] = [
  {
    usage: 'show resolvers [id]',
    help: 'dumps counters from all resolvers section and associated name servers',
    level: 'user',
    run(target, args) {
      const sections = target.resolvers?.() ?? [];
      const only = args[2];
      if (only !== undefined && !sections.some((s) => s.name === only)) throw new CommandError("Can't find that resolvers section");
      return renderResolvers(sections, only);
    },
  },
];
