#!/usr/bin/env bash
# Recreates the single InitialCreate migration of both providers from the current model.
# Only for use before the first release: afterwards add migrations instead of rewriting this one.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
rm -rf src/Infrastructure/Persistence/Migrations
dotnet build src/Infrastructure -v q >/dev/null
for ctx in Sqlite Postgres; do
  dotnet ef migrations add InitialCreate --no-build --project src/Infrastructure --startup-project src/Infrastructure \
    --context "${ctx}AppDbContext" --output-dir "Persistence/Migrations/${ctx}" >/dev/null
  dotnet build src/Infrastructure -v q >/dev/null
done
echo "migrations regenerated"
