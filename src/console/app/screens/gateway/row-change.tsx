import { useState } from "preact/hooks";
import type { ApiError } from "../../api";
import { ErrorNote } from "../../ui/page";

/**
 * Changes to the rows of a list, one at a time: `run(id, change)` marks the row busy, and the
 * note `change` returns (or the API's refusal) is what `Said` shows; the list reloads after each.
 */
export function useRowChange(reload: () => void) {
  const [busy, setBusy] = useState<number | null>(null);
  const [failed, setFailed] = useState<ApiError | null>(null);
  const [note, setNote] = useState("");
  const done = (said: string) => {
    setNote(said);
    reload();
  };
  const run = async (id: number, change: () => Promise<string>) => {
    setBusy(id);
    setFailed(null);
    try {
      done(await change());
    } catch (e) {
      setFailed(e as ApiError);
    } finally {
      setBusy(null);
    }
  };
  return { busy, failed, note, run, done, clear: () => setFailed(null) };
}

/** The last change's note (a live region, there before anything is said) and refusal. */
export function Said(props: { change: ReturnType<typeof useRowChange> }) {
  return (
    <>
      <p class="ok" role="status">
        {props.change.note}
      </p>
      <ErrorNote error={props.change.failed} />
    </>
  );
}
