// A real OpenID provider (panva's oidc-provider) on 127.0.0.1 for the console's sign-in tests: one confidential
// client that must use PKCE, and people whose ID tokens carry an email and a `groups` claim. Its development
// login form accepts any password for the logins given here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import Provider from "oidc-provider";

export interface TestPerson {
  email: string;
  groups: string[];
}

export interface RunningOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Starts answering, now that the bridge's redirect URI is known. */
  serve(redirectUri: string): void;
  close(): Promise<void>;
}

/** Listens at once (so the issuer URL is known); answers once `serve` names the client's redirect URI. */
export async function startOidcProvider(people: Record<string, TestPerson>): Promise<RunningOidcProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Named "localhost" while the bridge is reached at 127.0.0.1: two sites, as an IdP and the bridge are, so the
  // browser treats the IdP's redirect back as the cross-site navigation it is in production.
  const issuer = `http://localhost:${(server.address() as { port: number }).port}`;
  const clientId = "scim-bridge-console";
  const clientSecret = "console-client-secret-0123456789";
  return {
    issuer,
    clientId,
    clientSecret,
    serve(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_post",
          },
        ],
        pkce: { required: () => true },
        claims: { openid: ["sub", "groups"], email: ["email", "email_verified"] },
        // The claims go into the ID token itself, as Entra and Okta put a configured groups claim there.
        conformIdTokenClaims: false,
        cookies: { keys: ["oidc-provider-test-cookie-key"] },
        findAccount: (_ctx: unknown, id: string) => {
          const person = people[id];
          if (!person) return undefined;
          return {
            accountId: id,
            claims: () => ({ sub: id, email: person.email, email_verified: true, groups: person.groups }),
          };
        },
      });
      handler = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
