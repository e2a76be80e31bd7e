import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { defaultIdentityPath, generateIdentityFile } from "../snapshot/age-keys.js";

interface KeygenArgs {
  out?: string;
}

export const keygenCommand = (ctx: CommandContext): CommandModule<object, KeygenArgs> => ({
  command: "keygen",
  describe: "Make your age key pair for encrypted snapshots; prints the public key to give teammates",
  builder: (y) =>
    y
      .option("out", {
        type: "string",
        describe:
          "Private key file to create (default $XDG_CONFIG_HOME/booksnap/key.txt or ~/.config/booksnap/key.txt)",
      })
      .example("$0 keygen", "Create ~/.config/booksnap/key.txt (0600) and print its public key")
      .example("$0 keygen --out ./ci-key.txt --json", "Another file; JSON result") as never,
  handler: async (args) => {
    const path = args.out ? resolve(ctx.cwd, args.out) : defaultIdentityPath(ctx.env);
    const key = await generateIdentityFile(path, ctx.now());
    if (ctx.output.json)
      return ctx.output.result({ ok: true, identityFile: key.path, publicKey: key.recipient });
    ctx.output.line(`Public key: ${key.recipient}`);
    ctx.output.line(`  private key written to ${key.path} (mode 0600); keep it there, never share it`);
    ctx.output.line("  teammates export for you with: booksnap export --recipient <public key>");
  },
});
