/**
 * The driver's side of a worker process: Node.js workers (worker.ts) talk
 * over Node's IPC channel, and Python workers (peers/*.py) over JSON lines on
 * their standard input and output. Both exchange the messages of
 * workloads.ts, one request at a time.
 */

import { fork, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { DriverMessage, FrameworkId, WorkerMessage } from "./workloads.js";

/** How to start the worker of one framework. */
export type WorkerCommand =
  | { kind: "node"; env: Record<string, string> }
  | { kind: "python"; python: string; script: string; env: Record<string, string> };

type Pending = { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/** A worker process with at most one request in flight. */
export class WorkerHandle {
  private pending: Pending | null = null;
  private readonly output: string[] = [];
  private exited = false;

  private constructor(
    readonly framework: FrameworkId,
    private readonly child: ChildProcess,
    private readonly transport: "ipc" | "lines",
    verbose: boolean,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (verbose) process.stderr.write(`[${framework}] ${chunk.toString()}`);
    };
    child.stderr?.on("data", keep);
    if (transport === "ipc") {
      child.stdout?.on("data", keep);
      child.on("message", (message: WorkerMessage) => this.settle(message));
    } else {
      createInterface({ input: child.stdout! }).on("line", (line) => this.receiveLine(line));
    }
    child.on("exit", (code, signal) => {
      this.exited = true;
      this.rejectPending(new Error(`The ${framework} worker exited (code ${code}, signal ${signal}).`));
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "ENOENT" ? `${error.path ?? "the program"} was not found` : error.message;
      this.exited = true;
      this.rejectPending(new Error(`Failed to start the ${framework} worker: ${reason}.`));
    });
  }

  /**
   * Starts a worker and waits until its framework has loaded. Rejects with
   * the worker's own message when the framework is missing or fails to load.
   */
  static async start(
    framework: FrameworkId,
    command: WorkerCommand,
    dataFolder: string,
    verbose: boolean,
    timeoutSeconds: number,
  ): Promise<{ handle: WorkerHandle; description: string; maxRssBytes: number }> {
    let handle: WorkerHandle;
    if (command.kind === "node") {
      const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url));
      // The workers load Stratum from src/ through tsx, whatever flags started the driver.
      const child = fork(workerPath, [framework, dataFolder], {
        execArgv: ["--conditions=stratum-source", "--import", "tsx", "--expose-gc"],
        env: { ...process.env, ...command.env },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      handle = new WorkerHandle(framework, child, "ipc", verbose);
    } else {
      const child = spawn(command.python, [command.script, dataFolder], {
        env: { ...process.env, ...command.env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      handle = new WorkerHandle(framework, child, "lines", verbose);
      // A worker that exits early closes its standard input; the exit handler reports that.
      child.stdin.on("error", () => undefined);
    }
    try {
      const hello = await handle.waitFor("hello", timeoutSeconds);
      return { handle, description: hello.description, maxRssBytes: hello.maxRssBytes };
    } catch (error) {
      handle.stop();
      throw error;
    }
  }

  /** Sends one request and resolves to the worker's reply of the expected type. */
  async request<T extends WorkerMessage["type"]>(
    message: DriverMessage,
    replyType: T,
    timeoutSeconds: number,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    const reply = this.waitFor(replyType, timeoutSeconds);
    this.post(message);
    return reply;
  }

  private post(message: DriverMessage): void {
    if (this.transport === "ipc") this.child.send(message);
    else this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private waitFor<T extends WorkerMessage["type"]>(replyType: T, timeoutSeconds: number): Promise<Extract<WorkerMessage, { type: T }>> {
    if (this.pending) throw new Error(`The ${this.framework} worker already has a request in flight.`);
    if (this.exited) return Promise.reject(new Error(`The ${this.framework} worker has exited.`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.rejectPending(new Error(`The ${this.framework} worker timed out after ${timeoutSeconds} s waiting for "${replyType}".`));
        this.child.kill();
      }, timeoutSeconds * 1000);
      this.pending = {
        resolve: (message) => {
          if (message.type === replyType) resolve(message as Extract<WorkerMessage, { type: T }>);
          else reject(new Error(`The ${this.framework} worker replied "${message.type}", expected "${replyType}".`));
        },
        reject,
        timer,
      };
    });
  }

  private receiveLine(line: string): void {
    if (line.trim() === "") return;
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      this.rejectPending(new Error(`The ${this.framework} worker sent a line that is not JSON: ${line.slice(0, 200)}`));
      return;
    }
    this.settle(message);
  }

  private settle(message: WorkerMessage): void {
    if (message.type === "error") {
      this.rejectPending(new Error(message.message.trim()));
      return;
    }
    const pending = this.pending;
    this.pending = null;
    if (pending) clearTimeout(pending.timer);
    pending?.resolve(message);
  }

  private rejectPending(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) clearTimeout(pending.timer);
    pending?.reject(error);
  }

  /** Process id of the worker, or undefined when it failed to start. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the worker printed outside the messages, for error reports. */
  capturedOutput(): string {
    return this.output.join("");
  }

  stop(): void {
    if (this.exited) return;
    if (this.transport === "ipc" && this.child.connected) {
      this.child.send({ type: "exit" } satisfies DriverMessage);
    } else if (this.transport === "lines" && this.child.stdin?.writable) {
      this.child.stdin.end(`${JSON.stringify({ type: "exit" } satisfies DriverMessage)}\n`);
    } else {
      this.child.kill();
    }
  }
}
