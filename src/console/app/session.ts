import { signal } from "@preact/signals";
import { get } from "./api";

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
