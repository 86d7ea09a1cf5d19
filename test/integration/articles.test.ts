import request from 'supertest';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { ROLES_TEST_ENV } from '../flows/roles.flows';

let t: TestApp;
let author: UserFixture;
let authorBrowser: Browser;
let readerBrowser: Browser;
let readerToken: string;

beforeAll(async () => {
  t = await makeTestApp({ env: ROLES_TEST_ENV });
  author = await createUser(t, { roles: { is_author: true } });
  const reader = await createUser(t);
  authorBrowser = await signIn(t, author);
  readerBrowser = await signIn(t, reader);
  readerToken = (await apiLogin(t, reader)).access_token;
});
afterAll(async () => { await t.close(); });

async function write(title: string, body = 'Some text.'): Promise<number> {
  return (await t.app.services.articles.create({ id: author.id }, { title, body })).id;
}

async function post(browser: Browser, path: string, fields: Record<string, string> | string) {
  await browser.get(path === '/articles' ? '/articles/new' : `${path}/edit`);
  return browser.submit(path, fields);
}

describe('the article list', () => {
  test('GET /articles with no articles shows the empty state', async () => {
    const res = await readerBrowser.get('/articles');
    expect(res.status).toBe(200);
    expect(res.text).toContain('No articles yet');
    expect(res.text).not.toContain('href="/articles/new"');
  });

  test('lists newest first, ten to a page, with a Next link that carries its cursor and works, and a page number that works alone', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 12; i += 1) {
      ids.push(await write(`Numbered ${String(i).padStart(2, '0')}`));
      t.clock.advance(60);
    }
    const first = await readerBrowser.get('/articles');
    const titles = [...first.text.matchAll(/Numbered (\d\d)/g)].map((match) => match[1]);
    expect(titles).toEqual(['12', '11', '10', '09', '08', '07', '06', '05', '04', '03']);
    expect(first.text).toContain(`href="/articles?page=2&amp;after=${ids[2]}" rel="next"`);

    const second = await readerBrowser.get(`/articles?page=2&after=${ids[2]}`);
    expect([...second.text.matchAll(/Numbered (\d\d)/g)].map((match) => match[1])).toEqual(['02', '01']);
    expect(second.text).toContain('href="/articles" rel="prev"');
    const typed = await readerBrowser.get('/articles?page=2');
    expect([...typed.text.matchAll(/Numbered (\d\d)/g)].map((match) => match[1])).toEqual(['02', '01']);

    const beyond = await readerBrowser.get('/articles?page=9');
    expect(beyond.status).toBe(200);
    expect(beyond.text).toContain('Nothing on this page');
    await t.db('articles').whereIn('id', ids).delete();
  });

  test.each(['abc', '0', '-1', '1.5', '99999999'])('GET /articles?page=%s answers 422 and says why', async (page) => {
    const res = await readerBrowser.get(`/articles?page=${page}`);
    expect(res.status).toBe(422);
    expect(res.text).toContain('Page must be a whole number from 1 to 1,000,000.');
  });

  test('GET /articles?page=1&page=2 (a repeated field) answers 422', async () => {
    expect((await readerBrowser.get('/articles?page=1&page=2')).status).toBe(422);
  });

  test('a user with no role at all gets 403 on /articles', async () => {
    const nobody = await createUser(t, { roles: { is_reader: false } });
    const res = await (await signIn(t, nobody)).get('/articles');
    expect(res.status).toBe(403);
  });
});

describe('reading an article', () => {
  test('the body is plain text: paragraphs split on blank lines, lines kept, everything escaped', async () => {
    const id = await write('<script>alert("t")</script>', 'First <b>bold?</b>\r\n\r\nSecond line one\nline two\n\n\n<img src=x onerror=alert(1)>');
    const res = await readerBrowser.get(`/articles/${id}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).not.toContain('<b>bold');
    expect(res.text).toContain('&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;');
    expect(res.text).toContain('<p>First &lt;b&gt;bold?&lt;/b&gt;</p>');
    expect(res.text).toContain('<p>Second line one<br>line two</p>');
    expect(res.text).toContain('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
  });

  test('Edit and Delete show for the author, not for a reader', async () => {
    const id = await write('Buttons');
    expect((await authorBrowser.get(`/articles/${id}`)).text).toContain(`action="/articles/${id}/delete"`);
    const asReader = await readerBrowser.get(`/articles/${id}`);
    expect(asReader.text).not.toContain(`action="/articles/${id}/delete"`);
    expect(asReader.text).not.toContain(`href="/articles/${id}/edit"`);
  });
});

describe('writing an article', () => {
  test('POST /articles publishes as the signed-in author, ignoring an author_id sent with it, and redirects to the article', async () => {
    const other = await createUser(t, { roles: { is_author: true } });
    const res = await post(authorBrowser, '/articles', { title: '  Fresh  ', body: 'Hello.\r\n\r\nWorld.', author_id: String(other.internalId) });
    expect(res.status).toBe(303);
    const id = Number(String(res.headers.location).split('/').pop());
    const row = await t.db('articles').where({ id }).first();
    expect(row).toMatchObject({ author_id: author.internalId, title: 'Fresh', body: 'Hello.\n\nWorld.' });
    const page = await authorBrowser.get(String(res.headers.location));
    expect(page.text).toContain('Your article is published.');
  });

  test('a missing title re-renders the form with 422, the message at the field and the whole body kept', async () => {
    const body = `${'A long draft. '.repeat(400)}END`;
    const res = await post(authorBrowser, '/articles', { title: '   ', body });
    expect(res.status).toBe(422);
    expect(res.text).toContain('<p class="field-error" id="title-error">Enter a title.</p>');
    expect(res.text).toContain(`${'A long draft. '.repeat(399)}A long draft. END</textarea>`);
    expect(await t.db('articles').where({ body }).first()).toBeUndefined();
  });

  test.each([
    ['a repeated title field', 'title=a&title=b&body=x', 'title', 'Title must be a single text value.'],
    ['an empty body', 'title=t&body=%20%0A', 'body', 'Write the article.'],
    ['a NUL byte in the body', 'title=t&body=a%00b', 'body', 'The article must not contain control characters other than tabs and line breaks.'],
    ['a bidi override in the title', 'title=a%E2%80%AEb&body=x', 'title', 'The title must not contain control characters.'],
    ['a body over 8 000 characters', `title=t&body=${'x'.repeat(8_001)}`, 'body', 'The article must be at most 8,000 characters.'],
  ])('%s answers 422 with the message at the field', async (_name, form, field, message) => {
    const before = await t.db('articles').count({ n: '*' }).first();
    const res = await post(authorBrowser, '/articles', form);
    expect(res.status).toBe(422);
    expect(res.text).toContain(`<p class="field-error" id="${field}-error">${message.replace(/'/g, '&#39;')}</p>`);
    expect(await t.db('articles').count({ n: '*' }).first()).toEqual(before);
  });

  test('a body of exactly 8 000 characters is accepted', async () => {
    const res = await post(authorBrowser, '/articles', { title: 'Long', body: 'y'.repeat(8_000) });
    expect(res.status).toBe(303);
  });

  test('editing shows the form filled in, saves, and moves updated_at', async () => {
    const id = await write('Before', 'Old text.');
    const form = await authorBrowser.get(`/articles/${id}/edit`);
    expect(form.text).toContain('value="Before"');
    expect(form.text).toContain('>Old text.</textarea>');
    t.clock.advance(120);
    const res = await authorBrowser.submit(`/articles/${id}`, { title: 'After', body: 'New text.' });
    expect(res.status).toBe(303);
    const row = await t.db('articles').where({ id }).first();
    expect(row.title).toBe('After');
    expect(Number(new Date(row.updated_at))).toBeGreaterThan(Number(new Date(row.created_at)));
  });

  test('deleting redirects to the list with a message', async () => {
    const id = await write('Short-lived');
    await authorBrowser.get(`/articles/${id}`);
    const res = await authorBrowser.submit(`/articles/${id}/delete`, {});
    expect(res.headers.location).toBe('/articles');
    expect((await authorBrowser.get('/articles')).text).toContain('The article was deleted.');
  });

  test('a POST without the CSRF token is refused with 403 and writes nothing', async () => {
    const res = await authorBrowser.agent.post('/articles').type('form').send({ title: 'Forged', body: 'x' });
    expect(res.status).toBe(403);
    expect(await t.db('articles').where({ title: 'Forged' }).first()).toBeUndefined();
  });
});

describe('the articles API', () => {
  test('GET /api/articles answers a page of articles with their authors by public id, nothing internal', async () => {
    const id = await write('For the API', 'JSON body.');
    const res = await request(t.app).get('/api/articles').set('Authorization', `Bearer ${readerToken}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, per_page: 10, total: expect.any(Number), total_pages: expect.any(Number) });
    const found = res.body.articles.find((article: { id: number }) => article.id === id);
    expect(found).toEqual({
      id,
      title: 'For the API',
      body: 'JSON body.',
      author: { id: author.id, username: author.username },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/author_id|password|token_version/);
  });

  test('GET /api/articles/:id answers the article, and a missing one the 404 envelope', async () => {
    const id = await write('One');
    const res = await request(t.app).get(`/api/articles/${id}`).set('Authorization', `Bearer ${readerToken}`);
    expect(res.body.title).toBe('One');
    const missing = await request(t.app).get('/api/articles/2147483647').set('Authorization', `Bearer ${readerToken}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  test('GET /api/articles?page=x answers 422 with the message at the field', async () => {
    const res = await request(t.app).get('/api/articles?page=x').set('Authorization', `Bearer ${readerToken}`);
    expect(res.status).toBe(422);
    expect(res.body.error.fields).toEqual({ page: 'Page must be a whole number from 1 to 1,000,000.' });
  });
});
