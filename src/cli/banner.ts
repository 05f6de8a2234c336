/** The address to open in a browser: a wildcard HOST is reachable as localhost. */
export function listenUrl(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "::" || host === "[::]") return `http://localhost:${port}`;
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}

export type BannerFacts = {
  url: string;
  host: string;
  database: string;
  needsBootstrap: boolean;
  /** How the user runs the CLI here: `npm run souk --` from source, the binary's path otherwise. */
  invocation: string;
};

/** What serve prints once it listens: where, the API reference, and the first step if any. */
export function serveBanner(f: BannerFacts): string {
  const lines = [
    `souk is listening on ${f.url}${f.url.includes(f.host) ? "" : ` (every interface: HOST=${f.host})`}`,
    `  API reference  ${f.url}/docs`,
    `  database       ${f.database}`,
  ];
  if (f.needsBootstrap) {
    lines.push(
      "  first admin    none yet: create one with",
      `                   ${f.invocation} create-admin --email you@example.com`,
      `                 or POST ${f.url}/api/v1/auth/bootstrap-admin {"email":"…","password":"…"}`,
    );
  } else {
    lines.push("  first admin    created (bootstrap is closed)");
  }
  return lines.join("\n");
}
