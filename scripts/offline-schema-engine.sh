#!/bin/sh
# Stand-in for Prisma's schema engine. `prisma generate` never runs it, but the CLI insists
# on finding one and would otherwise download it from Prisma's binary host, which bastion
# hosts and this project's CI cannot reach. Schema changes ship as SQL in prisma/migrations/.
echo "booksnap: Prisma's schema engine is not installed (offline install); apply migrations with 'booksnap prepare'." >&2
exit 1
