import { z } from "@hono/zod-openapi";

const Name = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(2000);
const SortOrder = z.number().int().min(-1_000_000).max(1_000_000);

/** The public shape of a subject, work type or complexity (active ones only). */
export const CatalogEntrySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    sort_order: z.number().int(),
  })
  .openapi("CatalogEntry");

export const AdminCatalogEntrySchema = CatalogEntrySchema.extend({
  is_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
}).openapi("AdminCatalogEntry");

export const CatalogCreateBody = z
  .strictObject({
    name: Name,
    description: Description.nullable().optional(),
    sort_order: SortOrder.optional(),
  })
  .openapi("CatalogCreateBody", {
    description: "Names are unique within one catalog (409 otherwise).",
    example: { name: "Linear algebra", description: "Matrices, vector spaces, eigenvalues", sort_order: 10 },
  });
export type CatalogCreate = z.infer<typeof CatalogCreateBody>;

export const CatalogPatchBody = z
  .strictObject({
    name: Name.optional(),
    description: Description.nullable().optional(),
    sort_order: SortOrder.optional(),
    /** DELETE deactivates; this turns an entry back on. */
    is_active: z.boolean().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { message: "send at least one field to change" })
  .openapi("CatalogPatchBody", { example: { sort_order: 20, is_active: true } });
export type CatalogPatch = z.infer<typeof CatalogPatchBody>;

export const CatalogActiveQuery = z.object({ is_active: z.enum(["true", "false"]).optional() });
