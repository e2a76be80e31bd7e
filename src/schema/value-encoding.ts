/**
 * The format-2 value encoding as the engine uses it: SQL rendering for export, session settings,
 * validation for verify. One façade so export and verify import it from one place.
 * (values-shim.ts is a TEMPORARY copy of helper "values" work until src/schema/values lands.)
 */
export {
  arrayShapeViolationsSql,
  EXPORT_SESSION_SETTINGS,
  rowJsonSql,
  validateValue,
} from "./values-shim.js";
