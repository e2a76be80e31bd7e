import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { UsageError } from "../errors.js";

// Placeholder: replaced by the real command.
export const verifyCommand = (_ctx: CommandContext): CommandModule<object, object> => ({
  command: "verify",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UsageError("verify is not implemented yet");
  },
});
