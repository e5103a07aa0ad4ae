/**
 * `npm run emulator`: starts the emulator, prints one line `EMULATOR_READY {json}` (URLs,
 * tenant, subscription, CA path, blob account, identities with their secrets — it is a local test
 * emulator — and the Azure DevOps job values), then serves until SIGINT or SIGTERM and stops
 * cleanly (Azurite included).
 *
 * Options: --port <n> (default 0), --token-lifetime <seconds>, --time-scale <n>, --no-azurite.
 */
import { readyInfo, startEmulator, type EmulatorOptions } from "./index";

export function parseArgs(argv: string[]): EmulatorOptions {
  const options: EmulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const num = (name: string): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${name} needs a non-negative number`);
      return v;
    };
    switch (arg) {
      case "--port":
        options.port = num(arg);
        break;
      case "--token-lifetime":
        options.tokenLifetimeSeconds = num(arg);
        break;
      case "--time-scale":
        options.timeScale = num(arg);
        break;
      case "--no-azurite":
        options.azurite = false;
        break;
      default:
        throw new Error(`unknown option '${arg}' (known: --port, --token-lifetime, --time-scale, --no-azurite)`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const emu = await startEmulator(parseArgs(process.argv.slice(2)));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`emulator: ${signal} received, stopping\n`);
    emu.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`emulator: stop failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.stdout.write(`EMULATOR_READY ${JSON.stringify(readyInfo(emu))}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`emulator: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
