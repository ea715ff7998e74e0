// A strict reader of the Prometheus text exposition format (0.0.4). prom-client has no
// parser, so every line must match one of the format's three shapes or the read fails.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/y;
// Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes `Nan`).
const VALUE = /^(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|nan|[-+]inf)$/i;

/**
 * Every sample of an exposition, checking that each line is HELP, TYPE, a sample or blank, and that
 * each sample belongs to a family whose TYPE came first.
 * @throws Error naming the first line that does not parse
 */
export function parsePrometheusText(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '' || HELP.test(line)) continue;
    const type = TYPE.exec(line);
    if (type !== null) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    const sample = SAMPLE.exec(line);
    const value = sample?.[3] ?? '';
    if (sample === null || !VALUE.test(value)) throw new Error(`line ${index + 1} is not Prometheus text: ${line}`);
    const name = sample[1] ?? '';
    const family = types.has(name) ? name : name.replace(/_(?:bucket|sum|count|created)$/, '');
    if (!types.has(family)) throw new Error(`line ${index + 1}: ${name} has no # TYPE before it`);
    samples.push({
      name,
      labels: parseLabels(sample[2] ?? '', index + 1),
      value: Number(value.toLowerCase().replace('nan', 'NaN').replace('inf', 'Infinity')),
    });
  }
  return samples;
}

function parseLabels(text: string, lineNumber: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (match === null) throw new Error(`line ${lineNumber}: bad label set at ${text.slice(at)}`);
    labels[match[1] ?? ''] = (match[2] ?? '').replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The value of the one sample of `name` whose labels include `labels`; 0 when there is none. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const matching = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? 0;
}
