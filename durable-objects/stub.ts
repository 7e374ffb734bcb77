/** One object per (site, user id or anonymous id). Used by the worker and by objects calling each other. */

export function profileStub(env: Env, site: string, id: string) {
  return env.PROFILES.get(env.PROFILES.idFromName(`${site}:${id}`));
}
