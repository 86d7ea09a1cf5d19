/** One page of a list, as the list pages and the API show it. */
export interface Paged<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
  totalPages: number;
}

/** Where a page starts; `page` is 1-based and already validated as a positive integer. */
export function offsetOf(page: number, perPage: number): number {
  return (page - 1) * perPage;
}

export function paged<T>(items: T[], page: number, perPage: number, total: number): Paged<T> {
  return { items, page, perPage, total, totalPages: Math.max(1, Math.ceil(total / perPage)) };
}

/** The API's shape of a page: snake_case, the list under its own name. */
export function pagedJson<T>(name: string, list: Paged<T>) {
  return { [name]: list.items, page: list.page, per_page: list.perPage, total: list.total, total_pages: list.totalPages };
}
