// The one node:crypto call used here (synchronous hashing, provided by workerd under
// nodejs_compat), declared locally instead of pulling all of @types/node into the project.
declare module "node:crypto" {
  interface Hash {
    update(data: string): Hash;
    digest(encoding: "hex"): string;
  }
  export function createHash(algorithm: "sha256"): Hash;
}
