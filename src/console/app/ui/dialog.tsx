import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

/** A modal <dialog>, shown as it mounts; `close()` (or Escape) closes it and runs its onClose. */
export function useDialog() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return { ref, close: () => ref.current?.close() };
}

/** The dialog of `useDialog`, named by its title. */
export function Dialog(props: {
  dialog: ReturnType<typeof useDialog>;
  title: ComponentChildren;
  class?: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const titleId = useId();
  return (
    <dialog
      ref={props.dialog.ref}
      class={props.class ? `dialog ${props.class}` : "dialog"}
      aria-labelledby={titleId}
      onClose={props.onClose}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}
