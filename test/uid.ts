/** Unique ids for test data, so tests sharing one collector never see each other's events. */
let n = 0;
export const uid = (p = "e") => `${p}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
