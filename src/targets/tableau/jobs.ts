// Background jobs (the CSV user import and delete run as one): poll until the job says it finished.
import { TableauError } from "./client/errors.ts";
import type { TableauContext } from "./context.ts";

export interface JobPolling {
  /** First wait after starting the job; each later wait is `factor` times longer, at most `maxMs`. */
  firstMs: number;
  factor: number;
  maxMs: number;
  /** Give up waiting after this long; the operations are retried later (the import may still land). */
  timeoutMs: number;
}

/** Tableau's own client polls from 0.5 s, ×1.4, up to 30 s; a CSV job of a few hundred rows ends sooner. */
export const DEFAULT_JOB_POLLING: JobPolling = {
  firstMs: 200,
  factor: 1.5,
  maxMs: 10_000,
  timeoutMs: 600_000,
};

interface JobJson {
  id?: string;
  completedAt?: string;
  finishCode?: string;
  progress?: string;
  statusNotes?: { statusNote?: JobNote | JobNote[] };
  notes?: string | string[];
}

interface JobNote {
  type?: string;
  value?: string;
  text?: string;
}

export interface FinishedJob {
  id: string;
  /** 0 = every row applied, 1 = not (some rows failed, or the job did), 2 = cancelled. */
  finishCode: number;
  /** What the job said about single rows: line number → Tableau's text. */
  rowNotes: Map<number, string>;
  /** Anything else it said. */
  notes: string[];
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function jobOf(body: unknown): JobJson {
  const job = (body as { job?: JobJson } | undefined)?.job;
  if (!job?.id) throw new TableauError(0, "NO_JOB", "Job", "Tableau answered without a job id");
  return job;
}

export async function waitForJob(
  ctx: TableauContext,
  started: JobJson,
  polling: JobPolling = ctx.jobPolling ?? DEFAULT_JOB_POLLING,
): Promise<FinishedJob> {
  const id = started.id as string;
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let wait = polling.firstMs;
  let waited = 0;
  for (;;) {
    await sleep(wait);
    waited += wait;
    const job = jobOf(await ctx.client.site("GET", `/jobs/${id}`));
    if (job.completedAt) return finished(id, job);
    if (waited >= polling.timeoutMs)
      throw new TableauError(
        0,
        "JOB_TIMEOUT",
        "Job",
        `job ${id} was still running after ${Math.round(waited / 1000)} s (progress ${job.progress ?? "?"}%)`,
      );
    wait = Math.min(polling.maxMs, Math.round(wait * polling.factor));
  }
}

function finished(id: string, job: JobJson): FinishedJob {
  const rowNotes = new Map<number, string>();
  const notes: string[] = asList(job.notes);
  for (const n of asList(job.statusNotes?.statusNote)) {
    const line = Number(n.value);
    if (/Error$/i.test(n.type ?? "") && Number.isInteger(line) && line > 0)
      rowNotes.set(line, [rowNotes.get(line), n.text].filter(Boolean).join("; "));
    else if (n.text) notes.push(n.text);
  }
  return { id, finishCode: Number(job.finishCode ?? 0), rowNotes, notes };
}
