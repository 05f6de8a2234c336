/** The largest `--scale`: a million users (kept apart so the CLI's help loads no generator code). */
export const MAX_SCALE = 1000;
