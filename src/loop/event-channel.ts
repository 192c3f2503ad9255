/**
 * An async queue between the loop, which pushes events as they happen (output lines arrive from callbacks),
 * and the consumer of `streamResearch`. Output lines are dropped rather than queued without bound when the
 * consumer falls behind; every other event is kept.
 */
export interface EventChannel<T> {
  push(event: T, options?: { droppable?: boolean }): void;
  close(error?: unknown): void;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

export function createEventChannel<T>(maxDroppable = 1000): EventChannel<T> {
  const queue: T[] = [];
  let waiting: ((value: IteratorResult<T>) => void) | undefined;
  let failing: ((error: unknown) => void) | undefined;
  let closed = false;
  let failure: unknown;

  return {
    push(event, options) {
      if (closed) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        failing = undefined;
        resolve({ value: event, done: false });
        return;
      }
      if (options?.droppable && queue.length >= maxDroppable) return;
      queue.push(event);
    },
    close(error) {
      if (closed) return;
      closed = true;
      failure = error;
      if (waiting) {
        if (error !== undefined) failing?.(error);
        else waiting({ value: undefined, done: true });
        waiting = undefined;
        failing = undefined;
      }
    },
    [Symbol.asyncIterator]() {
      return {
        next() {
          const event = queue.shift();
          if (event !== undefined) return Promise.resolve({ value: event, done: false });
          if (closed) {
            if (failure !== undefined) {
              const error = failure;
              failure = undefined;
              return Promise.reject(error);
            }
            return Promise.resolve({ value: undefined, done: true });
          }
          return new Promise<IteratorResult<T>>((resolve, reject) => {
            waiting = resolve;
            failing = reject;
          });
        },
      };
    },
  };
}
