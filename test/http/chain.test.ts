// The SCIM door runs as one chained layer: it must behave as the router layers it replaced, in order, with every
// way a middleware can fail reaching the error handler and nothing after it running.
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { chain } from "../../src/http/chain.ts";

function appWith(handlers: RequestHandler[]) {
  const seen: string[] = [];
  const mark =
    (name: string): RequestHandler =>
    (_req, _res, next) => {
      seen.push(name);
      next();
    };
  const app = express();
  app.use(chain([mark("first"), ...handlers, mark("last")]));
  app.get("/", (_req, res) => {
    seen.push("route");
    res.json({ seen });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(418).json({ error: String((err as Error).message), seen });
  };
  app.use(onError);
  return app;
}

describe("chain", () => {
  it("runs each middleware in order, then the route", async () => {
    const res = await request(appWith([])).get("/").expect(200);
    expect(res.body.seen).toEqual(["first", "last", "route"]);
  });

  it.each<[string, RequestHandler]>([
    ["next(err)", (_req, _res, next) => next(new Error("refused"))],
    [
      "a throw",
      () => {
        throw new Error("refused");
      },
    ],
    ["a rejected promise", async () => Promise.reject(new Error("refused"))],
    [
      "an error after an await",
      (_req, _res, next) => void Promise.resolve().then(() => next(new Error("refused"))),
    ],
  ])("hands %s to the error handler and runs nothing after it", async (_name, failing) => {
    const res = await request(appWith([failing]))
      .get("/")
      .expect(418);
    expect(res.body).toEqual({ error: "refused", seen: ["first"] });
  });

  it("lets a middleware answer without calling next", async () => {
    const res = await request(
      appWith([
        (_req, res) => {
          res.status(429).json({ answered: true });
        },
      ]),
    )
      .get("/")
      .expect(429);
    expect(res.body).toEqual({ answered: true });
  });
});
