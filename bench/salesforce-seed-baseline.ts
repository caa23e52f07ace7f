// The seed script's shape, timed for comparison: one create and one password call per user, one user at a time,
// against a Salesforce emulator (the script this bridge replaced wrote to Salesforce only).
import { SALESFORCE_EMULATOR_DEFAULTS as SF } from "../src/emulators/salesforce/index.ts";

export async function seedScriptBaseline(
  emulator: { url: string; reset(): Promise<void>; calls(): Promise<number> },
  users: number,
): Promise<{ users: number; calls: number; seconds: number }> {
  const jsforce = (await import("jsforce")).default;
  const conn = new jsforce.Connection({
    loginUrl: emulator.url,
    version: "62.0",
    oauth2: { loginUrl: emulator.url, clientId: SF.clientId, clientSecret: SF.clientSecret },
  });
  await conn.login(SF.username, SF.password + SF.securityToken);
  const profile = (await conn.query<{ Id: string }>("SELECT Id FROM Profile WHERE Name = 'Standard User'"))
    .records[0]!.Id;
  await emulator.reset();
  const t0 = Date.now();
  for (let i = 0; i < users; i++) {
    const u = `script${i}@example.com`;
    const r = (await conn.sobject("User").create({
      Username: u,
      Email: u,
      LastName: `Script${i}`,
      Alias: `s${i}`.slice(0, 8),
      ProfileId: profile,
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
    })) as { id: string };
    await conn.requestPost(`/services/data/v62.0/sobjects/User/${r.id}/password`, {
      NewPassword: "Generic-Passw0rd!",
    });
  }
  const seconds = (Date.now() - t0) / 1000;
  return { users, calls: await emulator.calls(), seconds };
}
