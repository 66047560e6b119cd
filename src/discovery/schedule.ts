/**
 * Running something later, as the discovery policies take it: passed in, so unit tests drive
 * time themselves. The default never keeps the process alive (the timers are unref'd).
 */
export type Schedule = (fn: () => void, ms: number) => void;

export const unrefTimeout: Schedule = (fn, ms) => void setTimeout(fn, ms).unref();
