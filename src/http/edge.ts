// Edge validation as middleware: every query string and JSON body under /scim/v2 and /admin is checked (src/input.ts)
// before a route sees it, so no handler has to consider repeated parameters, NUL bytes or a 100,000-level body.
import type { Request, RequestHandler } from "express";
import { jsonProblem, queryProblem } from "../input.ts";

export interface EdgeOptions {
  /** Query parameters that may be repeated (their values are joined by the route), e.g. `attributes`. */
  repeatable?: string[];
  /**
   * Requests whose body strings are checked per operation instead (POST /Bulk: one bad operation fails alone);
   * their nesting and keys are still checked here.
   */
  stringsCheckedLater?: (req: Request) => boolean;
}

export function edgeValidation(opts: EdgeOptions = {}): RequestHandler {
  const repeatable = new Set(opts.repeatable ?? []);
  return (req, _res, next) => {
    const problem =
      queryProblem(req.query as Record<string, unknown>, repeatable) ??
      (req.body !== undefined
        ? jsonProblem(req.body, { strings: !opts.stringsCheckedLater?.(req) })
        : undefined);
    next(problem);
  };
}
