import { setTimeout as sleep } from 'node:timers/promises';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  downloadIssueImages,
  findIssueImageUrls,
  MAX_ISSUE_IMAGES,
} from '../../src/github/download-issue-images.js';
import { loadIssueImages } from '../../src/jobs/fix/load-issue-images.js';
import { screenshotPng } from '../images/fixtures.js';
import { headerOf } from '../support/nock-request.js';

const ATTACHMENT =
  'https://github.com/user-attachments/assets/3f2b6c1e-0000-4000-8000-000000000001';
const OLD_STYLE = 'https://user-images.githubusercontent.com/583231/12345-abcdef.png';

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('findIssueImageUrls', () => {
  it('finds markdown images and <img> tags on GitHub attachment hosts only, once each', () => {
    const body = [
      `Broken layout: ![screenshot](${ATTACHMENT})`,
      `<img width="600" alt="x" src="${OLD_STYLE}">`,
      `again ![same](${ATTACHMENT} "title")`,
      '![elsewhere](https://evil.example/x.png)',
      '![plain http](http://user-images.githubusercontent.com/1/2.png)',
      '![with creds](https://user:pw@github.com/user-attachments/assets/1)',
      '![internal](https://169.254.169.254/latest/meta-data)',
      '![repo asset](https://github.com/octo-org/widgets/assets/1/abc)',
      '![not an asset](https://github.com/octo-org/widgets/blob/main/a.png)',
      '[a link, not an image](https://github.com/user-attachments/assets/ffff)',
    ].join('\n');
    expect(findIssueImageUrls(body)).toEqual([
      ATTACHMENT,
      'https://github.com/octo-org/widgets/assets/1/abc',
      OLD_STYLE,
    ]);
  });

  it(`keeps at most ${MAX_ISSUE_IMAGES}`, () => {
    const body = Array.from(
      { length: 20 },
      (_, i) => `![s${i}](https://github.com/user-attachments/assets/${i})`,
    ).join('\n');
    expect(findIssueImageUrls(body)).toHaveLength(MAX_ISSUE_IMAGES);
  });
});

describe('downloadIssueImages', () => {
  it('downloads without credentials, and reports each failure without losing the others', async () => {
    const png = await screenshotPng(40, 30);
    let authorization: string | undefined = 'unset';
    nock('https://github.com')
      .get('/user-attachments/assets/ok')
      .reply((request: Request) => {
        authorization = headerOf(request, 'authorization');
        return [200, png, { 'content-type': 'image/png' }];
      })
      .get('/user-attachments/assets/missing')
      .reply(404, 'Not Found');
    const results = await downloadIssueImages([
      'https://github.com/user-attachments/assets/ok',
      'https://github.com/user-attachments/assets/missing',
    ]);
    expect(authorization).toBeUndefined();
    expect(results[0]).toEqual({
      ok: true,
      url: 'https://github.com/user-attachments/assets/ok',
      bytes: png,
    });
    expect(results[1]).toEqual({
      ok: false,
      url: 'https://github.com/user-attachments/assets/missing',
      error: 'HTTP 404',
    });
  });

  it('refuses an image over the size cap, declared or streamed', async () => {
    nock('https://github.com')
      .get('/user-attachments/assets/declared')
      .reply(200, Buffer.alloc(10), { 'content-length': '5000' })
      .get('/user-attachments/assets/streamed')
      .reply(200, Buffer.alloc(3000));
    const results = await downloadIssueImages(
      [
        'https://github.com/user-attachments/assets/declared',
        'https://github.com/user-attachments/assets/streamed',
      ],
      { maxBytes: 1000 },
    );
    expect(results.map((result) => (result.ok ? 'ok' : result.error))).toEqual([
      '5000 bytes is over the 1000-byte limit',
      'over the 1000-byte limit',
    ]);
  });

  it('gives up on a slow image at its timeout', async () => {
    nock('https://github.com')
      .get('/user-attachments/assets/slow')
      // No headers for 2 s (nock 15's .delay() holds back only the body).
      .reply(async () => {
        await sleep(2_000);
        return [200, Buffer.alloc(10)];
      });
    const started = Date.now();
    const [result] = await downloadIssueImages(
      ['https://github.com/user-attachments/assets/slow'],
      {
        timeoutMs: 200,
      },
    );
    expect(result).toEqual({
      ok: false,
      url: 'https://github.com/user-attachments/assets/slow',
      error: 'timed out after 0.2s',
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('downloads at most four at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const scope = nock('https://github.com');
    for (let i = 0; i < 8; i++) {
      scope.get(`/user-attachments/assets/${i}`).reply(async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 50));
        inFlight--;
        return [200, Buffer.alloc(4)];
      });
    }
    const results = await downloadIssueImages(
      Array.from({ length: 8 }, (_, i) => `https://github.com/user-attachments/assets/${i}`),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(most).toBe(4);
  });
});

describe('loadIssueImages', () => {
  it('turns attached screenshots into model images, and says what it left out', async () => {
    const png = await screenshotPng(64, 48);
    nock('https://github.com')
      .get('/user-attachments/assets/good')
      .reply(200, png)
      .get('/user-attachments/assets/garbage')
      .reply(200, Buffer.from('not an image at all'));
    const loaded = await loadIssueImages(
      [
        '![a](https://github.com/user-attachments/assets/good)',
        'and ![b](https://github.com/user-attachments/assets/garbage)',
      ],
      true,
    );
    expect(loaded.images).toHaveLength(1);
    expect(loaded.images[0]?.type).toBe('image');
    expect(loaded.notes).toHaveLength(1);
    expect(loaded.notes[0]).toMatch(
      /^https:\/\/github\.com\/user-attachments\/assets\/garbage is not a usable image/,
    );
  });

  it('fetches nothing for a model that takes no images', async () => {
    const loaded = await loadIssueImages(
      ['![a](https://github.com/user-attachments/assets/never)'],
      false,
    );
    expect(loaded).toEqual({
      images: [],
      notes: ['1 attached image(s) left out: the model takes no images'],
    });
  });
});
