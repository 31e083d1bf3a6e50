# Shared settings and helpers for the build scripts. Sourced by each script, never run alone.
set -euo pipefail

BG_TOOLS_DIR="${BG_TOOLS_DIR:-/tmp/bg-tools}"
# State handed from phase to phase; outside the source tree so it never enters the Docker context.
BG_WORK="$BG_TOOLS_DIR/work"
# Artifacts and the report group's JUnit file (buildspec.yml names this folder too).
BG_OUT="${CODEBUILD_SRC_DIR:-$PWD}/.bluegreen-out"
LOCAL_IMAGE="bluegreen-candidate:local"

export TRIVY_CACHE_DIR="${TRIVY_CACHE_DIR:-$HOME/.cache/trivy}"
# No calls home from the build: no version check, no telemetry.
export TRIVY_SKIP_VERSION_CHECK=true TRIVY_DISABLE_TELEMETRY=true

mkdir -p "$BG_WORK"

log() { printf '[bluegreen] %s\n' "$*"; }
die() {
  printf '[bluegreen] ERROR: %s\n' "$*" >&2
  exit 1
}
require_env() {
  local v
  for v in "$@"; do [ -n "${!v:-}" ] || die "$v must be set"; done
}

# Splits REPOSITORY_URI (<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>) into its parts.
parse_repository_uri() {
  require_env REPOSITORY_URI
  local re='^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9]+([._/-][a-z0-9]+)*)$'
  [[ "$REPOSITORY_URI" =~ $re ]] ||
    die "REPOSITORY_URI '$REPOSITORY_URI' is not an ECR repository URI (<account>.dkr.ecr.<region>.amazonaws.com/<name>)"
  ECR_ACCOUNT="${BASH_REMATCH[1]}"
  ECR_REGION="${BASH_REMATCH[2]}"
  ECR_REPOSITORY="${BASH_REMATCH[4]}"
  ECR_REGISTRY="${REPOSITORY_URI%%/*}"
}

# Reads a value an earlier phase wrote to the work folder.
state() {
  [ -s "$BG_WORK/$1" ] || die "missing build state '$1' (did an earlier phase fail?)"
  cat "$BG_WORK/$1"
}
