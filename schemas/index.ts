export * from "./events";
export * from "./envelope";
export * from "./record";
export * from "./sites";
export * from "./catalog";
export * from "./time";
export * from "./packed";
export * from "./fast-parse";
