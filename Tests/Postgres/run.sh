#!/usr/bin/env bash
# The store contract on a real PostgreSQL server: a throwaway cluster (cluster.sh), then the
# contract suite, which runs every case on SQLite and, given CAUSEWAY_TEST_POSTGRES_URL, on it; and
# two writers on one database at once (PostgresWritersTests); serve on it (PostgresServeTests, RetentionTests).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"
source Tests/Postgres/cluster.sh
swift test --skip-build --filter "StoreContractTests|PostgresWritersTests|PostgresConnectionTests|PostgresServeTests|RetentionTests|QueueCounterTests"
