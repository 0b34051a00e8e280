/** What a home page is made of: cards of things to do, each with its count, its first rows and what to do when empty. */
export interface TodoItem {
  href: string;
  text: string;
  meta?: string;
  urgent?: boolean;
}

export interface TodoCard {
  id: string;
  title: string;
  count: number;
  items: TodoItem[];
  /** More rows than shown: the card's link says how many. */
  hidden: boolean;
  /** What to do next when there is nothing here. */
  empty: string;
  more?: { href: string; text: string };
}

/** Rows shown per card; the rest is behind the card's link. */
export const CARD_ROWS = 5;

export function card(id: string, title: string, all: TodoItem[], empty: string, more?: TodoCard['more']): TodoCard {
  return {
    id,
    title,
    count: all.length,
    items: all.slice(0, CARD_ROWS),
    hidden: all.length > CARD_ROWS,
    empty,
    ...(more ? { more } : {}),
  };
}
