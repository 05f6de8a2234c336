export * from "./accounts";
export * from "./billing";
export * from "./courses";
export * from "./intelligence";
export * from "./ledger";
export * from "./marketplace";
export * from "./platform";
