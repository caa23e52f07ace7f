// Middleware that runs on every request, as one function: Express's router walks each of its layers per request
// (path match, prefix trim, a try and a promise check), which for the SCIM API's door was a tenth of a read's CPU.
import type { NextFunction, Request, RequestHandler, Response } from "express";

/**
 * Runs `handlers` in order, as `router.use(...handlers)` would: each one's `next()` calls the next, `next(err)` (or
 * a throw, or a rejected promise) skips the rest and hands the error to Express; the last one's `next()` continues
 * after the chain.
 */
export function chain(handlers: (RequestHandler & { routes?: string[] })[]): RequestHandler & {
  routes?: string[];
} {
  const run = (req: Request, res: Response, done: NextFunction) => {
    let at = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        done(err);
        return;
      }
      const handler = handlers[at++];
      if (!handler) {
        done();
        return;
      }
      try {
        const out = handler(req, res, step) as unknown;
        if (out instanceof Promise) out.then(undefined, step);
      } catch (e) {
        step(e ?? new Error("a middleware threw nothing"));
      }
    };
    step();
  };
  // The routes a handler dispatches itself (scim/routes.ts), for tools that read Express's routing table.
  const routes = handlers.flatMap((h) => h.routes ?? []);
  return routes.length ? Object.assign(run, { routes }) : run;
}
