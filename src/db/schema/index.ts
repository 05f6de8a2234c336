export * from "./accounts";
export * from "./billing";
export * from "./ledger";
export * from "./platform";
