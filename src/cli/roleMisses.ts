/**
 * Lines with no turns by the role being scored. A dialogue file whose speakers are not called
 * `assistant` (topical-chat's agent_1 and agent_2) fails on every line for the same reason, and 2,000
 * copies of one error bury the way out. The first few are printed line by line, the rest counted (stdout
 * of `score` keeps an error line for every one of them), and the end names the roles the lines have instead.
 */
import { SpeakerTally } from '../core/speakers';
import { printable, type MissingRole } from '../core/types';
import { counted } from '../core/counted';

export class RoleMisses {
  /** Printed in full before the rest are only counted. */
  static readonly SHOWN = 10;
  private count = 0;
  private role = '';
  private readonly found = new SpeakerTally();

  /** `echoed`: the command's output has an error line for every line (score), so say so. */
  constructor(private readonly echoed = false) {}

  /** Counts a line; true while its diagnostic should still be printed. */
  add(miss: MissingRole): boolean {
    this.count++;
    this.role = miss.role;
    this.found.add(miss.roles);
    return this.count <= RoleMisses.SHOWN;
  }

  /** The lines not printed, then what to do; undefined when no line missed the role. */
  summary(file: string): string | undefined {
    if (this.count === 0) return undefined;
    const role = `\`${printable(this.role)}\``;
    const hidden = this.count - RoleMisses.SHOWN;
    const lines: string[] = [];
    if (hidden > 0) {
      const more = `${printable(file)}: … and ${counted(hidden, 'more line')} without turns by ${role}`;
      lines.push(this.echoed ? `${more} (the output has an error line for each)` : more);
    }
    const roles = this.found.ranked();
    const what = `${counted(this.count, 'line has', 'lines have')} no turns by ${role}`;
    lines.push(roles.length === 0 ? `${what}, nor any other turns.` : `${what}; roles found instead: ${roles.map(printable).join(', ')}. Choose one with --role ${shellWord(roles[0])}`);
    return lines.join('\n');
  }
}

/** A role as it would be typed after --role in a shell. */
function shellWord(text: string): string {
  return /^[\w.@:+-]+$/.test(text) ? text : `'${printable(text).replace(/'/g, `'\\''`)}'`;
}
