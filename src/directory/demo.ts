/**
 * Demo accounts for trying the whole flow (documented in the README). Only
 * their scrypt hashes are stored in the database. These passwords are public
 * test data: never reuse them.
 */
export interface DemoAccount {
  username: string;
  email: string;
  phone?: string;
  previousPasswords: string[];
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { username: 'sam.dances', email: 'sam@example.com', phone: '+14155550134', previousPasswords: ['sunset-2019', 'Sunset2020!'] },
  { username: 'lee_cooks', email: 'lee.cooks@example.org', phone: '+447911123456', previousPasswords: ['pancake88', 'Pancakes#2021', 'flour-power'] },
  { username: 'nadia.films', email: 'nadia@example.net', previousPasswords: ['Kodak400'] },
];
