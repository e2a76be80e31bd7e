import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "../../src/cli/suggest.js";

describe("did-you-mean suggestions", () => {
  it("count insertions, deletions, substitutions and adjacent transpositions as one edit each", () => {
    expect(editDistance("export", "export")).toBe(0);
    expect(editDistance("exprt", "export")).toBe(1);
    expect(editDistance("exporrt", "export")).toBe(1);
    expect(editDistance("exbort", "export")).toBe(1);
    expect(editDistance("ipmort", "import")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggest the closest name only when it is a plausible typo", () => {
    const commands = ["export", "import", "verify", "inspect", "prepare", "list", "demo", "completion"];
    expect(closestMatch("exprt", commands)).toBe("export");
    expect(closestMatch("ipmort", commands)).toBe("import");
    expect(closestMatch("verfiy", commands)).toBe("verify");
    expect(closestMatch("lsit", commands)).toBe("list");
    expect(closestMatch("EXPORT", commands)).toBe("export");
    expect(closestMatch("comp", commands)).toBe("completion");
    expect(closestMatch("xyzzy", commands)).toBeUndefined();
    expect(closestMatch("q", commands)).toBeUndefined();
  });

  it("suggest flags among a command's options", () => {
    const options = ["owner", "out", "force", "from", "from-env", "passphrase-env", "json"];
    expect(closestMatch("ownr", options)).toBe("owner");
    expect(closestMatch("from-evn", options)).toBe("from-env");
    expect(closestMatch("pasphrase-env", options)).toBe("passphrase-env");
    expect(closestMatch("jsn", options)).toBe("json");
    expect(closestMatch("zzzzzz", options)).toBeUndefined();
  });
});
