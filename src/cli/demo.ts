// Placeholder until the command lands; replaced by its real implementation.
export const usage = 'usage: handoff demo (not implemented yet)\n';

export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('handoff demo: not implemented yet\n');
  return 1;
}
