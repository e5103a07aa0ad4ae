/**
 * The emulator as the reliability tests start it (one per test file). The emulator registers
 * every secret it knows with the harness's secret scan, so any task run in these files fails
 * when its output shows one.
 */
import { startEmulator, type Emulator, type EmulatorOptions } from "../../devkit/emulator";

export interface ReliabilityEmulator {
  emu: Emulator;
  stop(): Promise<void>;
}

export async function startReliabilityEmulator(options: EmulatorOptions = {}): Promise<ReliabilityEmulator> {
  const emu = await startEmulator(options);
  return { emu, stop: () => emu.stop() };
}
