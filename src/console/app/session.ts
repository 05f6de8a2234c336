import { signal } from "@preact/signals";
import { get } from "./api";
import { can } from "./permissions";

export type Me = {
  id: number;
  email: string | null;
  username: string | null;
  role: string;
  first_name: string | null;
  permissions: string[];
};

/** Who is signed in (null: the login screen). */
export const me = signal<Me | null>(null);

export async function loadMe(): Promise<void> {
  me.value = await get<Me>("/me");
}

/** Whether the signed-in user holds one of `permissions` (the console hides; the API decides). */
export const allowed = (...permissions: string[]) =>
  permissions.some((p) => can(me.value?.permissions ?? [], p));
