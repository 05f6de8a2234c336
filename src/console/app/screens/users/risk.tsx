import type { AdminUser } from "./types";

/** The client risk score the scoring module keeps (0-100, higher is riskier). */
export function RiskPill(props: { user: Pick<AdminUser, "risk_score" | "risk_level"> }) {
  const { risk_score, risk_level } = props.user;
  if (risk_score == null || !risk_level) return <span class="muted">—</span>;
  return (
    <span class={`pill users-risk-${risk_level}`} title={`client risk ${risk_score} of 100`}>
      {risk_score.toFixed(1)} · {risk_level}
    </span>
  );
}
