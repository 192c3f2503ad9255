import { open } from "node:fs/promises";
import type { OutputCapture } from "../output-capture.js";

export interface FileFollower {
  /** Reads what was appended to the file since the last read into the capture; how many bytes it read. */
  read(): Promise<number>;
  /** Whether the file has existed at any read. */
  readonly seen: boolean;
}

/**
 * Follows a file that another machine appends to (a job's output on a shared file system). The file is opened
 * anew on every read: on NFS, opening is what makes another client's writes visible.
 */
export function followFile(file: string, capture: OutputCapture): FileFollower {
  const buffer = Buffer.allocUnsafe(256 * 1024);
  let offset = 0;
  let seen = false;
  return {
    get seen() {
      return seen;
    },
    async read() {
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(file, "r");
      } catch {
        // Not created yet (the job has not started), or not visible here.
        return 0;
      }
      seen = true;
      let total = 0;
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          total += bytesRead;
          // Copied: the capture may keep a partial line while the buffer is reused.
          if (!capture.push(0, Buffer.from(buffer.subarray(0, bytesRead)))) await capture.drained();
        }
      } finally {
        await handle.close();
      }
      return total;
    },
  };
}
