import { useState } from "preact/hooks";
import { type ApiError, downloadFile } from "../../api";
import { ErrorNote } from "../../ui/page";
import type { StaffOrder } from "./types";

const LABELS: Record<StaffOrder["receipts"][number], string> = {
  customer: "Customer's receipt",
  trader: "Trader's receipt",
  dispute: "Dispute receipt",
};

/** The order's receipts, each a download (fetched with the session's token, as a plain link cannot). */
export function Receipts(props: { order: StaffOrder }) {
  const [error, setError] = useState<ApiError | null>(null);
  const { id, receipts } = props.order;
  if (receipts.length === 0) return null;
  return (
    <div class="gw-receipts">
      {receipts.map((kind) => (
        <button
          key={kind}
          type="button"
          class="link"
          data-receipt={kind}
          onClick={() => {
            setError(null);
            downloadFile(`/gateway/orders/${id}/receipts/${kind}`, `order-${id}-${kind}-receipt`).catch(
              (e: ApiError) => setError(e),
            );
          }}
        >
          {LABELS[kind]}
        </button>
      ))}
      <ErrorNote error={error} />
    </div>
  );
}
