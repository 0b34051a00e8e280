import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The zone the viewer chose for the times they read (their account page), for the length of one
 * request. Kept here, below the page kit, so that the template helpers and the page kit's time
 * helpers ask the same one place (see web/clock.ts for who sets it).
 */
const viewer = new AsyncLocalStorage<{ zone?: string }>();

/** The zone a time is shown in: the viewer's own choice, else the bank's zone the page is about. */
export function shownZone(bankZone: string): string {
  return viewer.getStore()?.zone ?? bankZone;
}

/** Runs the rest of the request with the viewer's chosen zone. */
export function inViewerZone(zone: string, next: () => void): void {
  viewer.run({ zone }, next);
}
