import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { UsageError } from "../errors.js";

// Placeholder: replaced by the real command.
export const inspectCommand = (_ctx: CommandContext): CommandModule<object, object> => ({
  command: "inspect",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UsageError("inspect is not implemented yet");
  },
});
