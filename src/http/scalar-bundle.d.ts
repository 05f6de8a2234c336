// Scalar's browser bundle is imported `with { type: "file" }`: Bun hands over its path, not a module.
declare module "*/dist/browser/standalone.js" {
  const path: string;
  export default path;
}
