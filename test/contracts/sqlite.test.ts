import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../../src/storage/db';
import { SqlStorage } from '../../src/storage/state';
import { SqlDirectory } from '../../src/directory/sql';
import { SqlTicketStore } from '../../src/tickets/sql';
import { DEMO_ACCOUNTS } from '../../src/directory/demo';
import { storageContract } from './storage.contract';
import { directoryContract } from './directory.contract';
import { sqlTicketOutboxContract, ticketStoreContract } from './tickets.contract';
import { limitsContract } from './limits.contract';
import { conversationStoreContract } from './conversations.contract';
import { databaseContract } from './database.contract';

/** The embedded (SQLite) implementations against their contracts. */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-sqlite-'));

storageContract('SQLite', async () => {
  const { db } = await openSqlite(tmp());
  return { storage: new SqlStorage(db), close: () => db.destroy() };
});

ticketStoreContract('SQLite', async () => {
  const { db } = await openSqlite(tmp());
  return { store: new SqlTicketStore(db), close: () => db.destroy() };
});

directoryContract('SQLite demo directory', async () => {
  const { db } = await openSqlite(tmp());
  const directory = new SqlDirectory(db);
  expect(await directory.seedDemo()).toBe(DEMO_ACCOUNTS.length);
  expect(await directory.seedDemo()).toBe(0); // seeding twice adds nothing
  return { directory, account: DEMO_ACCOUNTS[1]!, close: () => db.destroy() };
});

const freshSqlite = async () => {
  const { db } = await openSqlite(tmp());
  return { db, close: () => db.destroy() };
};
limitsContract('SQLite', freshSqlite);
conversationStoreContract('SQLite', freshSqlite);
databaseContract('SQLite', freshSqlite, { oneWriter: true });
sqlTicketOutboxContract('SQLite', freshSqlite);

test('the database keeps no plaintext demo password, only salted scrypt hashes', async () => {
  const dir = tmp();
  const { db, file } = await openSqlite(dir);
  await new SqlDirectory(db).seedDemo();
  const rows = await db.selectFrom('password_history').select('hash').execute();
  expect(rows.every((r) => /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(r.hash))).toBe(true);
  expect(new Set(rows.map((r) => r.hash.split('$')[4])).size).toBe(rows.length); // a salt each
  await db.destroy();
  const bytes = fs.readFileSync(file).toString('latin1');
  for (const p of DEMO_ACCOUNTS.flatMap((a) => a.previousPasswords)) expect(bytes).not.toContain(p);
});
