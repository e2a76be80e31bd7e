import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { UsageError } from "../errors.js";

// Placeholder: replaced by the real command.
export const importCommand = (_ctx: CommandContext): CommandModule<object, object> => ({
  command: "import",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UsageError("import is not implemented yet");
  },
});
