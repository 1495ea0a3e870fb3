/** Returns the candidate nearest to `name` by edit distance, if it is close enough to be a likely typo. */
export function nearestName(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** Throws `make(message)` when `options` has keys outside `allowed`, suggesting the nearest valid key. */
export function checkOptionKeys(
  options: object,
  allowed: readonly string[],
  owner: string,
  make: (message: string) => Error,
): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    if (unknownConfigKeyHandler && owner.endsWith(" config")) {
      unknownConfigKeyHandler(key, owner);
      continue;
    }
    const nearest = nearestName(key, allowed);
    const hint = nearest ? ` Did you mean "${nearest}"?` : ` Valid options: ${allowed.join(", ")}.`;
    throw make(`Unknown option "${key}" for ${owner}.${hint}`);
  }
}

/** Returns ` Did you mean "…"?` for a near miss among `candidates`, or an empty string. */
export function didYouMean(name: unknown, candidates: readonly string[]): string {
  if (typeof name !== "string") return "";
  const nearest = nearestName(name, candidates);
  return nearest ? ` Did you mean "${nearest}"?` : "";
}

/** While set, `checkOptionKeys` passes unknown keys of serialized configs (owners named "… config") here instead of throwing. */
let unknownConfigKeyHandler: ((key: string, owner: string) => void) | null = null;

/**
 * Runs `run` with unknown config keys reported to `onUnknown` and ignored,
 * as the file loader needs for configs from newer Keras versions. Calls of
 * `fromConfig` outside `run` keep rejecting unknown keys.
 */
export function ignoringUnknownConfigKeys<T>(onUnknown: (key: string, owner: string) => void, run: () => T): T {
  const previous = unknownConfigKeyHandler;
  unknownConfigKeyHandler = onUnknown;
  try {
    return run();
  } finally {
    unknownConfigKeyHandler = previous;
  }
}
