/** The most pages read from one list (100 items each): a bound, not a limit we expect to meet. */
const MAX_PAGES = 30;

/**
 * Every item of a paginated list, following GitHub's `link: <…>; rel="next"` header.
 * `fetchPage` gets the 1-based page number; pages hold 100 items.
 */
export async function readAllPages<T>(
  fetchPage: (page: number) => Promise<{ data: readonly T[]; headers: { link?: string } }>,
): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const response = await fetchPage(page);
    items.push(...response.data);
    if (!/rel="next"/.test(response.headers.link ?? '')) break;
  }
  return items;
}
