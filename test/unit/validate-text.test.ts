import { describe, expect, it } from "vitest";
import { validateRecord } from "../../src/snapshot/validate.js";

const book = {
  id: 1,
  ownerId: 1,
  isbn10: "0123456789",
  isbn13: "9780123456789",
  title: "t",
  titleLong: "t",
  language: "en",
  synopsis: "s",
  image: "i",
  imageOriginal: "i",
  publisher: "p",
  edition: null,
  pageCount: 1,
  datePublished: "2000",
  subjects: [],
  authors: [],
  binding: "b",
  visibility: "PUBLIC",
  readDate: null,
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:00:00.000Z",
};

const reason = (fields: Record<string, unknown>) => {
  const result = validateRecord("Book", { ...book, ...fields });
  return result.ok ? "ok" : result.reason;
};

describe("text PostgreSQL cannot store", () => {
  it("names every NUL and lone surrogate, in field order, with the other problems", () => {
    expect(reason({})).toBe("ok");
    expect(reason({ title: "a\u0000b" })).toBe("title: contains a NUL character");
    expect(reason({ title: "a\ud800b" })).toBe("title: contains a lone surrogate (not valid Unicode)");
    expect(reason({ title: "\u0000\ud800" })).toBe(
      "title: contains a NUL character; title: contains a lone surrogate (not valid Unicode)",
    );
    expect(reason({ subjects: ["ok", "x\u0000", "\udc00"] })).toBe(
      "subjects.1: contains a NUL character; subjects.2: contains a lone surrogate (not valid Unicode)",
    );
    // With a length limit the length is checked only once the text is storable.
    expect(reason({ isbn10: "\u000012345678901" })).toBe("isbn10: contains a NUL character");
    expect(reason({ isbn13: "12345678901234" })).toBe(
      "isbn13: Too big: expected string to have <=13 characters",
    );
    expect(reason({ edition: "\u0000", extra: 1 })).toBe(
      'edition: contains a NUL character; (record): Unrecognized key: "extra"',
    );
  });
});
