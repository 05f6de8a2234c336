import { z } from "zod";

/** A rate such as "100/minute": a count per second, minute, hour or day. */
export const RateSpec = z
  .string()
  .regex(/^[1-9]\d{0,8}\s*\/\s*(second|minute|hour|day)$/, 'like "100/minute" (at least 1)');

export type SettingDef<T extends z.ZodType = z.ZodType> = {
  schema: T;
  default: z.infer<T>;
  description: string;
};
export const def = <T extends z.ZodType>(
  schema: T,
  dflt: z.infer<T>,
  description: string,
): SettingDef<T> => ({
  schema,
  default: dflt,
  description,
});
