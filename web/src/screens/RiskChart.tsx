import { humanize } from '../ui/format';

export interface RiskFactor {
  raw: number | null;
  weight: number;
  normalized: number;
  weighted: number;
  explanation: string;
}

export interface RiskResult {
  score: number;
  model_version: string;
  recommendation: string;
  threshold_exceeded: boolean;
  factors: Record<string, RiskFactor>;
}

/** Risk model 1.0's factor order (src/risk/risk-model.ts); a factor it lacks goes last. */
const ORDER = [
  'vulnerabilities',
  'policy_violations',
  'test_coverage',
  'exception_count',
  'ring_0_failures',
  'dependency_risk',
  'artifact_age',
];
const rank = (name: string) => {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
};

const ROW = 30;
const LABEL = 180;
const BAR = 360;
const WIDTH = LABEL + BAR + 110;

/**
 * The weighted risk factors as a horizontal bar chart: each bar is the factor's contribution
 * to the score, drawn over a track as long as its weight (its largest possible contribution).
 * An inline SVG with a title and a description that says every value; the table under it
 * has the same numbers and the model's explanation of each.
 */
export function RiskChart({ risk }: { risk: RiskResult }) {
  const factors = Object.entries(risk.factors).sort(([a], [b]) => rank(a) - rank(b));
  const maxWeight = Math.max(1, ...factors.map(([, f]) => f.weight));
  const scale = (value: number) => (value / maxWeight) * BAR;
  const height = factors.length * ROW + 8;
  const description = factors
    .map(([name, f]) => `${humanize(name)}: ${f.weighted} of at most ${f.weight}`)
    .join('; ');
  return (
    <figure className="risk-chart">
      <svg
        role="img"
        aria-labelledby="risk-chart-title risk-chart-desc"
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        style={{ maxWidth: WIDTH }}
      >
        <title id="risk-chart-title">
          Risk score {risk.score} ({risk.recommendation}), by weighted factor
        </title>
        <desc id="risk-chart-desc">{description}</desc>
        {factors.map(([name, f], i) => {
          const y = i * ROW + 4;
          return (
            <g key={name}>
              <text x={LABEL - 8} y={y + 17} textAnchor="end" className="label">
                {humanize(name)}
              </text>
              <rect
                x={LABEL}
                y={y + 4}
                width={scale(f.weight)}
                height={18}
                className="track"
                rx={3}
              />
              <rect
                x={LABEL}
                y={y + 4}
                width={Math.max(f.weighted > 0 ? 2 : 0, scale(f.weighted))}
                height={18}
                className={`bar ${f.normalized >= 70 ? 'bar-high' : f.normalized >= 40 ? 'bar-mid' : 'bar-low'}`}
                rx={3}
              />
              <text x={LABEL + scale(f.weight) + 8} y={y + 17} className="value">
                {f.weighted} / {f.weight}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        Score {risk.score} under risk model {risk.model_version}
        {risk.threshold_exceeded
          ? ' — over the model’s threshold or with a policy violation: CAB review required'
          : ''}
        . Each bar is the factor’s weighted contribution; the track behind it is its weight.
      </figcaption>
      <details>
        <summary>Factor details</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Factor</th>
              <th scope="col">Input</th>
              <th scope="col">Normalized</th>
              <th scope="col">Weight</th>
              <th scope="col">Weighted</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {factors.map(([name, f]) => (
              <tr key={name}>
                <th scope="row">{humanize(name)}</th>
                <td>{f.raw ?? 'missing'}</td>
                <td>{f.normalized}</td>
                <td>{f.weight}</td>
                <td>{f.weighted}</td>
                <td>{f.explanation}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
