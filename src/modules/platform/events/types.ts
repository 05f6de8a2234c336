/**
 * Event types of every module. A module declares its types next to its code (`event-types.ts`)
 * and registers them at load; rules and webhook subscriptions offer this list and validate their
 * patterns against it. In tests an unknown type fails the emit, so the list stays complete.
 */
export type EventTypeInfo = { type: string; module: string; description: string };

const known = new Map<string, EventTypeInfo>();
let strict = false;

export function registerEventTypes(module: string, types: Record<string, string>) {
  for (const [type, description] of Object.entries(types)) known.set(type, { type, module, description });
}

/** Tests turn this on: emitting a type no module declared throws. */
export function requireDeclaredEventTypes(on: boolean) {
  strict = on;
}

export function assertDeclared(type: string) {
  if (strict && !known.has(type)) throw new Error(`event type ${type} is not declared by any module`);
}

export const listEventTypes = (): EventTypeInfo[] =>
  [...known.values()].sort((a, b) => a.type.localeCompare(b.type));

export const isDeclaredEventType = (type: string) => known.has(type);

/** `*` matches every type, `order.*` every type that starts with `order.`, anything else itself. */
export function matchesEventPattern(pattern: string, type: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** A pattern is valid when it is `*`, or it matches at least one declared type. */
export const isValidEventPattern = (pattern: string) =>
  pattern === "*" || [...known.keys()].some((t) => matchesEventPattern(pattern, t));
