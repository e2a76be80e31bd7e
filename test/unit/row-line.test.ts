import { describe, expect, it } from "vitest";
import { decodeRowLine, encodeRowLine, frameRowLines } from "../../src/snapshot/row-line.js";

const layout = new Map([
  ["User", 3],
  ["Book", 2],
]);

describe("format-2 row lines", () => {
  it("frames server-rendered rows exactly as encodeRowLine does", () => {
    const rows = Buffer.from('[1,"a",null]\n[2,"b\\n",true]\n');
    const framed = frameRowLines("User", rows, 2).toString("utf8");
    expect(framed).toBe(
      `${encodeRowLine("User", '[1,"a",null]')}\n${encodeRowLine("User", '[2,"b\\n",true]')}\n`,
    );
    expect(framed.split("\n")[0]).toBe('["User",[1,"a",null]]');
  });

  it("refuses a chunk whose line count is not the one announced", () => {
    expect(() => frameRowLines("User", Buffer.from("[1]\n[2]\n"), 1)).toThrow();
    expect(() => frameRowLines("User", Buffer.from("[1]\n[2]"), 2)).toThrow();
  });

  it("decodes a line into table, row and the row's bytes", () => {
    const decoded = decodeRowLine(Buffer.from('["User",[1,"a",null]]'), layout);
    expect(decoded).toMatchObject({ ok: true, table: "User", row: [1, "a", null] });
    if (decoded.ok) expect(decoded.rowBytes.toString()).toBe('[1,"a",null]');
  });

  it("escapes odd table names and still decodes them", () => {
    const name = 'we"ird\\ tåble';
    const line = encodeRowLine(name, "[1]");
    expect(decodeRowLine(Buffer.from(line), new Map([[name, 1]]))).toMatchObject({ ok: true, table: name });
  });

  const refused: Array<[string, Buffer | string, string]> = [
    ["invalid UTF-8", Buffer.from([0x5b, 0xff, 0x5d]), "invalid UTF-8"],
    ["NUL byte", '["User",[1,"a\u0000",null]]', "NUL"],
    ["not JSON", '["User",[1,', "malformed JSON"],
    ["an object", '{"model":"User","record":{}}', "JSON array"],
    ["three elements", '["User",[1,2,3],1]', "JSON array"],
    ["unknown table", '["Ghost",[1]]', "unknown table"],
    ["inherited name", '["constructor",[1]]', "unknown table"],
    ["row not an array", '["User",{"id":1}]', "not a JSON array"],
    ["too few values", '["User",[1,2]]', "has 2 values"],
    ["too many values", '["User",[1,2,3,4]]', "has 4 values"],
    ["whitespace framing", '[ "User", [1,2,3] ]', "not framed"],
    ["byte-order mark", '\ufeff["User",[1,2,3]]', "malformed JSON"],
    ["escaped table name", '["\\u0055ser",[1,2,3]]', "not framed"],
  ];
  for (const [what, line, reason] of refused) {
    it(`refuses ${what}`, () => {
      const decoded = decodeRowLine(typeof line === "string" ? Buffer.from(line) : line, layout);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).toContain(reason);
    });
  }
});
