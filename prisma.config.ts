import { defineConfig } from "prisma/config";

// The CLI is only used for `prisma generate`, which needs no database; migrations are
// committed SQL applied by `booksnap prepare`, so no datasource URL is required here.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
