/** A value, a list of values used one per call (the last repeats), or a function of the call. */
export type Scripted<T, A> = T | readonly T[] | ((options: A, call: number) => T | Promise<T>);

export async function nextScripted<T, A>(script: Scripted<T, A>, options: A, call: number): Promise<T> {
  if (typeof script === "function")
    return (script as (options: A, call: number) => T | Promise<T>)(options, call);
  if (Array.isArray(script)) {
    if (script.length === 0) throw new Error("the mock's script is an empty list");
    return script[Math.min(call, script.length - 1)] as T;
  }
  return script as T;
}
