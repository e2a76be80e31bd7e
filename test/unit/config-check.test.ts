import { describe, expect, it } from "vitest";
import { assertConfigMatchesSchema, checkConfigAgainstSchema } from "../../src/config/config-check.js";
import type { ConfigFile } from "../../src/config/config-file-schema.js";
import { buildProjectConfig, presetProjectConfig } from "../../src/config/project-config.js";
import { bookAppDescription, bookUserTable, column, table } from "../helpers/schema-builders.js";

const fromFile = (file: ConfigFile) =>
  buildProjectConfig(file, { kind: "file", path: "/x/booksnap.config.json", extends: null });

describe("checkConfigAgainstSchema", () => {
  it("the built-in configuration matches the book app's current schema exactly", () => {
    expect(checkConfigAgainstSchema(presetProjectConfig(), bookAppDescription())).toEqual({
      errors: [],
      unused: [],
    });
  });

  it("a schema one migration behind is fine: rules for what it lacks are only unused", () => {
    const older = bookUserTable().columns.filter(
      (c) => !c.name.endsWith("Url") || c.name === "profileImageUrl",
    );
    const description = bookAppDescription({
      user: table("User", older, { uniques: [["clerkId"], ["email"]] }),
      appSettings: false,
    });
    const { errors, unused } = checkConfigAgainstSchema(presetProjectConfig(), description);
    expect(errors).toEqual([]);
    expect(unused.map((u) => u.path)).toEqual([
      "redaction.User.githubUrl",
      "redaction.User.instagramUrl",
      "redaction.User.linkedinUrl",
      "redaction.User.letterboxdUrl",
      "redaction.User.spotifyUrl",
      "redaction.AppSettings.id",
      "redaction.AppSettings.defaultUserClerkId",
      "redaction.AppSettings.updatedAt",
    ]);
  });

  it("names every unknown table and column the engine would need, and every rule of the wrong type", () => {
    const config = fromFile({
      tables: { include: ["User", "Bok"] },
      owners: { table: "User", emailColumn: "mail", idColumn: "id" },
      redaction: { User: { email: "email", createdAt: "name", clerkId: "null" } },
      identity: { Book: ["isbn"], Ghost: ["id"] },
      perOwnerRules: [
        { table: "ReadingList", owner: "ownerId", where: { type: "FAVOURITES" }, uniqueBy: ["yr"] },
        { table: "BookInReadingList", owner: "bookId", where: {}, uniqueBy: [] },
        { table: "ReadingList", owner: "ownerId", where: { year: 2024, title: null }, uniqueBy: [] },
      ],
    });
    const { errors, unused } = checkConfigAgainstSchema(config, bookAppDescription());
    expect(errors.map((e) => [e.path, e.table, e.column])).toEqual([
      ["tables.include", "Bok", undefined],
      ["owners", "User", "mail"],
      ["redaction.User.clerkId", "User", "clerkId"],
      ["redaction.User.createdAt", "User", "createdAt"],
      ["identity.Book", "Book", "isbn"],
      ["perOwnerRules[0]", "ReadingList", "yr"],
      ["perOwnerRules[0].where.type", "ReadingList", "type"],
      ["perOwnerRules[1].owner", "BookInReadingList", "bookId"],
      ["perOwnerRules[2].where.year", "ReadingList", "year"],
      ["perOwnerRules[2].where.title", "ReadingList", "title"],
    ]);
    expect(errors.find((e) => e.path === "perOwnerRules[2].where.year")?.message).toMatch(
      /give a JSON string/,
    );
    expect(errors.find((e) => e.column === "createdAt")?.message).toMatch(/kind name needs a text column/);
    expect(errors.find((e) => e.column === "type")?.message).toMatch(/no label "FAVOURITES"/);
    expect(unused.map((u) => u.path)).toEqual(["identity.Ghost"]);
    expect(() => assertConfigMatchesSchema(config, bookAppDescription())).toThrow(
      expect.objectContaining({ code: "E_CONFIG_REFERENCE", exitCode: 2 }),
    );
  });

  it("refuses a missing owners table, and a rule that would leak through a foreign key", () => {
    const account = table("Account", [column("handle", "text"), column("email", "text")], {
      primaryKey: ["handle"],
    });
    const post = table("Post", [column("id", "int4"), column("author", "text")], {
      foreignKeys: [
        {
          name: "p",
          columns: ["author"],
          references: { table: "Account", columns: ["handle"] },
          onDelete: "cascade",
          onUpdate: "cascade",
          deferrable: false,
        },
      ],
    });
    const description = { schema: "public", tables: [account, post], enums: {} };
    const config = fromFile({
      owners: { table: "Users", emailColumn: "email", idColumn: "id" },
      redaction: { Account: { handle: "opaqueId", email: "email" }, Post: { author: "keep" } },
    });
    const { errors } = checkConfigAgainstSchema(config, description);
    expect(errors.map((e) => e.path)).toEqual(["owners.table", "redaction.Post.author"]);
    expect(errors[1]?.message).toMatch(/"author": \{"kind":"opaqueId","sameAs":"Account.handle"\}/);
  });
});
