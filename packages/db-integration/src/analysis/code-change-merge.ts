/**
 * One code change seen on the points of several environments is one finding. Where two hosts with different GPUs
 * feed one series in turn, each host's points are searched on their own (findings.ts), so a change that slows both
 * was found twice, each finding with its own commit range. By its own host's points a change lies after the last
 * point compared before it and at or before its first point at the new level; a change at one commit lies in every
 * host's range. So steps of one kind on different environments whose ranges overlap are taken as one change (an
 * overlap is what one change would give, not proof of it; the text says what each environment showed): one finding,
 * whose range is the overlap (the other host's points narrow where the change lies), with the size and evidence of the
 * environment that compared the most points and the other environments' sizes in its text. Ranges that do not
 * overlap are left apart: they cannot be one change at one commit.
 */
import { pctText } from './detect/intervals';
import type { Detection } from './regression';

/** A finding made on one environment's points, that environment's stretch key and its name for the text. */
export interface EnvironmentFinding {
  finding: Detection;
  key: string;
  environment: string;
}

const isStep = (d: Detection): boolean => d.kind === 'regression' || d.kind === 'improvement';

/** Where a step's change can lie: after point `after`, at or before point `upTo` (series indices). */
export function changeRange(d: Detection): { after: number; upTo: number } {
  const before = d.evidence?.points?.before.at(-1) ?? (d.evidence === undefined ? d.index - 1 : d.evidence.before[1] - 1);
  return { after: d.changeAfter ?? before, upTo: d.index };
}

/** Points a step compared: its own environment's (its ranges also hold others' where the series alternates). */
function comparedPoints({ evidence }: Detection): number {
  if (evidence === undefined) {
    return 0;
  }
  const { before, after, points } = evidence;
  return points === undefined ? before[1] - before[0] + after[1] - after[0] : points.before.length + points.after.length;
}

interface Group {
  members: EnvironmentFinding[];
  after: number;
  upTo: number;
}

function merged({ members, after, upTo }: Group): Detection {
  if (members.length === 1) {
    return members[0]!.finding;
  }
  const primary = members.reduce((x, y) => (comparedPoints(y.finding) > comparedPoints(x.finding) ? y : x));
  const others = members.filter((m) => m !== primary).map(({ finding: d, environment }) => {
    const interval = d.interval === undefined ? '' : ` (95 % interval ${pctText(d.interval[0])} to ${pctText(d.interval[1])})`;
    return `${pctText(d.changePct)}${interval} on ${environment}`;
  });
  return {
    ...primary.finding,
    index: upTo,
    changeAfter: after,
    detail: `${primary.finding.detail}; the same change is ${others.join(', ')} (their points bracket it too): together they place it after point ${after} and at or before point ${upTo}`,
  };
}

/** `found` with the steps of one change on several environments merged (see above); other findings as they are. */
export function mergeAcrossEnvironments(found: readonly EnvironmentFinding[]): Detection[] {
  const steps = found.filter((f) => isStep(f.finding)).sort((x, y) => x.finding.index - y.finding.index);
  const groups: Group[] = [];
  for (const f of steps) {
    const { after, upTo } = changeRange(f.finding);
    const group = groups.find(
      (g) => g.members[0]!.finding.kind === f.finding.kind && g.members.every((m) => m.key !== f.key) && Math.max(g.after, after) < Math.min(g.upTo, upTo),
    );
    if (group === undefined) {
      groups.push({ members: [f], after, upTo });
    } else {
      group.members.push(f);
      group.after = Math.max(group.after, after);
      group.upTo = Math.min(group.upTo, upTo);
    }
  }
  return [...found.filter((f) => !isStep(f.finding)).map((f) => f.finding), ...groups.map(merged)];
}
