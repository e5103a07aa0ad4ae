/**
 * Data Factory (Microsoft.DataFactory, api-version 2018-06-01) — STUB, being written. Keeps the EmulatorModule shape so the emulator compiles.
 */
import type { EmulatorContext, EmulatorModule } from "../framework";

export class DataFactoryEmulator implements EmulatorModule {
  private ctx?: EmulatorContext;

  register(ctx: EmulatorContext): void {
    this.ctx = ctx;
  }

  /** Seeds the default demo resources (see the emulator's default scenario) in this resource group. */
  seedDefaults(subscriptionId: string, resourceGroupName: string): void {
    void subscriptionId;
    void resourceGroupName;
    void this.ctx;
  }

  reset(): void {}

  dispose(): void {}
}
