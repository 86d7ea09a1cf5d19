import request from 'supertest';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import type { TestApp } from '../helpers/make-app';
import { rawUserRow } from '../helpers/raw-user';

/**
 * Keyset pagination (src/lib/pagination.ts), written once and run on SQLite
 * (test/integration/pagination.test.ts) and on MariaDB (test/mysql/pagination.test.ts): walking a
 * list by its Next links while rows are written between pages skips no row and repeats none,
 * Previous links lead back to the same pages, and a page number alone still works.
 */
export const PAGINATION_TEST_ENV = { RATE_LIMIT_AUTH_PER_IP: '100000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000' };

const seqOf = (html: string) => [...html.matchAll(/seq: (\d+)/g)].map((match) => Number(match[1]));
const nextHref = (html: string) => /href="([^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
const prevHref = (html: string) => /href="([^"]+)" rel="prev"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

export function definePaginationFlows(setup: () => Promise<TestApp>): void {
  let t: TestApp;
  let admin: UserFixture;
  let browser: Browser;
  let adminToken: string;
  let subject: UserFixture;
  let written = 0;

  beforeAll(async () => {
    t = await setup();
    admin = await createUser(t, { roles: { is_admin: true } });
    browser = await signIn(t, admin);
    adminToken = (await apiLogin(t, admin)).access_token;
    subject = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  /** Audit events about `subject`, numbered in their details so a page shows which it holds. */
  async function writeEvents(count: number): Promise<number[]> {
    const seqs: number[] = [];
    for (let i = 0; i < count; i += 1) {
      written += 1;
      await t.app.services.audit.record('profile_updated', { userId: subject.internalId, details: { seq: written } });
      seqs.push(written);
    }
    return seqs;
  }

  const auditPath = () => `/admin/audit?user=${subject.username}&event=profile_updated`;

  test('walking /admin/audit by Next while events are written between pages shows every earlier event once, newest first', async () => {
    const before = await writeEvents(137);
    const seen: number[] = [];
    let path: string | undefined = auditPath();
    while (path) {
      const res = await browser.get(path);
      expect(res.status).toBe(200);
      seen.push(...seqOf(res.text).filter((seq) => seq <= before.length));
      path = nextHref(res.text);
      await writeEvents(13);
    }
    expect(seen).toEqual([...before].reverse());
  });

  test('Previous links lead back through the same pages, and a page number alone finds the same page', async () => {
    const first = await browser.get(auditPath());
    const second = await browser.get(nextHref(first.text)!);
    const third = await browser.get(nextHref(second.text)!);
    expect(third.text).toContain('Page 3 of');
    const backToSecond = await browser.get(prevHref(third.text)!);
    expect(seqOf(backToSecond.text)).toEqual(seqOf(second.text));
    expect(prevHref(backToSecond.text)).toBe(auditPath());
    const typed = await browser.get(`${auditPath()}&page=3`);
    expect(seqOf(typed.text)).toEqual(seqOf(third.text));
    expect(seqOf(third.text)).toHaveLength(50);
  });

  test('GET /api/admin/users walked by its next cursors while accounts are created between pages lists every earlier account once', async () => {
    const tag = `kp${Date.now().toString(36)}`;
    for (let i = 0; i < 45; i += 1) await t.db('users').insert(rawUserRow(`${tag}_${String(i).padStart(2, '0')}`, `${tag}_${i}@example.test`));
    const expected = (await t.db('users').where('username', 'like', `${tag}_%`).orderBy('id', 'desc').select('public_id')).map((row) => row.public_id);
    const seen: string[] = [];
    let query: Record<string, string> | null = { q: tag };
    let pages = 0;
    while (query) {
      const res: request.Response = await request(t.app).get('/api/admin/users').query(query).set('Authorization', `Bearer ${adminToken}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.users.map((user: { id: string }) => user.id).filter((id: string) => expected.includes(id)));
      query = res.body.next ? { q: tag, ...res.body.next } : null;
      pages += 1;
      await t.db('users').insert(rawUserRow(`${tag}_new${pages}`, `${tag}_new${pages}@example.test`));
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  test('GET /api/articles walked by next cursors while articles are published skips and repeats nothing', async () => {
    const author = await createUser(t, { roles: { is_author: true } });
    const publish = (title: string) => t.app.services.articles.create({ id: author.id }, { title, body: 'Text.' });
    const ids: number[] = [];
    for (let i = 0; i < 24; i += 1) ids.push((await publish(`Walk ${i}`)).id);
    const seen: number[] = [];
    let query: Record<string, string> | null = {};
    while (query) {
      const res: request.Response = await request(t.app).get('/api/articles').query(query).set('Authorization', `Bearer ${adminToken}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.articles.map((article: { id: number }) => article.id).filter((id: number) => ids.includes(id)));
      query = res.body.next;
      await publish('Published meanwhile');
    }
    expect(seen).toEqual([...ids].reverse());
  });

  test.each([
    ['after=abc', 'This page link is not valid'],
    ['after=12&before=10', 'either after or before'],
    ['after=1&after=2', 'This page link is not valid'],
  ])('a page link with %s answers 422 with a message', async (query, message) => {
    const res = await browser.get(`/admin/audit?${query}`);
    expect(res.status).toBe(422);
    expect(res.text).toContain(message);
  });

  test('a user cursor must be a public id; one that names nobody falls back to the page number', async () => {
    expect((await browser.get('/admin/users?after=42')).status).toBe(422);
    const res = await request(t.app).get('/api/admin/users').query({ page: 1, after: '00000000-0000-4000-8000-000000000000' })
      .set('Authorization', `Bearer ${adminToken}`);
    expect(res.status).toBe(200);
    expect(res.body.users.length).toBeGreaterThan(0);
    expect(res.body.prev).toBeNull();
  });
}
