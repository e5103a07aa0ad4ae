/**
 * Job names and experiment names when the YAML gives none, in the CLI's formats: the SDK names a job
 * `<adjective>_<noun>_<10 characters from "bcdfghjklmnpqrstvwxyz0123456789">` (its own word lists are
 * longer; the format is what matters), and the experiment is the working folder's name (`Path.stem`,
 * spaces removed) or "Default".
 */
import { randomInt } from "node:crypto";
import * as path from "node:path";

const ADJECTIVES = [
  "amber",
  "brave",
  "calm",
  "clever",
  "eager",
  "frosty",
  "gentle",
  "happy",
  "jolly",
  "keen",
  "lively",
  "mighty",
  "nice",
  "polite",
  "quiet",
  "shy",
  "sunny",
  "witty",
];
const NOUNS = ["apple", "bear", "cloud", "crane", "kite", "lemon", "lion", "owl", "pear", "river", "rocket", "seal", "snake", "tree", "wave", "yak"];
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxyz0123456789";

/** Random integer in [0, max): defaults to a CSPRNG; tests pass a seeded one. */
export type RandomIndex = (max: number) => number;

/** A fresh job name like `frosty_kite_7y3h0bx3kv`. */
export function generateJobName(random: RandomIndex = (max) => randomInt(max)): string {
  let suffix = "";
  for (let i = 0; i < 10; i++) suffix += SUFFIX_ALPHABET[random(SUFFIX_ALPHABET.length)];
  return `${ADJECTIVES[random(ADJECTIVES.length)]}_${NOUNS[random(NOUNS.length)]}_${suffix}`;
}

/** The CLI's default experiment name for a working folder: its stem without spaces, else "Default". */
export function defaultExperimentName(folder: string, pathApi: Pick<typeof path, "basename" | "extname"> = path): string {
  const base = pathApi.basename(folder.replace(/[\\/]+$/, ""));
  const ext = pathApi.extname(base);
  const stem = ext && ext !== base ? base.slice(0, -ext.length) : base;
  const name = stem.replace(/\s+/g, "");
  return name === "" ? "Default" : name;
}
