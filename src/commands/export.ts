import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { UsageError } from "../errors.js";

// Placeholder: replaced by the real command.
export const exportCommand = (_ctx: CommandContext): CommandModule<object, object> => ({
  command: "export",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UsageError("export is not implemented yet");
  },
});
