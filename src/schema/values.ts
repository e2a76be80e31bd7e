/**
 * The format-2 value encoding, one module per side: render.ts (export SQL), validate.ts and
 * copy-text.ts (import), staging.ts (staging columns), settings.ts (the session settings both
 * sides run under). See docs/snapshot-format.md for the encoding itself.
 */

export { carriedColumns } from "./description.js";
export { arrayLiteral, copyText, copyTextField, copyTextLine } from "./values/copy-text.js";
export {
  arrayShapeCheckSql,
  arrayShapeOkSql,
  arrayShapeViolationsSql,
  columnRef,
  type RowJsonOptions,
  renderArgumentSql,
  renderSql,
  renderValueSql,
  rowJsonSql,
  rowJsonText,
  unsupportedArrayValueError,
} from "./values/render.js";
export { EXPORT_SESSION_SETTINGS, type SessionSetting, sessionSettingsSql } from "./values/settings.js";
export { BASE_TYPE_SQL, castSql, enumTypeSql, stagingSqlType } from "./values/staging.js";
export { compileValidator, type EnumLabels, type ValueValidator, validateValue } from "./values/validate.js";
