#!/usr/bin/env bash
# pre_build: checks the settings, resolves the commit and the tags, logs in to ECR and refreshes
# the Trivy vulnerability DB from its mirror (a no-op while the cached DB is fresh).
. "$(dirname "$0")/lib.sh"

parse_repository_uri
require_env CODEBUILD_BUILD_ID TRIVY_DB_REPOSITORY
case "${GATE_FAIL_ON:-HIGH}" in
  CRITICAL | HIGH | MEDIUM | LOW) ;;
  *) die "GATE_FAIL_ON must be CRITICAL, HIGH, MEDIUM or LOW (got '${GATE_FAIL_ON}')" ;;
esac
case "${GATE_IGNORE_UNFIXED:-true}" in
  true | false) ;;
  *) die "GATE_IGNORE_UNFIXED must be true or false (got '${GATE_IGNORE_UNFIXED}')" ;;
esac
case "${GATE_ALLOW_EMPTY_SCAN:-false}" in
  true | false) ;;
  *) die "GATE_ALLOW_EMPTY_SCAN must be true or false (got '${GATE_ALLOW_EMPTY_SCAN}')" ;;
esac

commit="${CODEBUILD_RESOLVED_SOURCE_VERSION:-}"
[ -n "$commit" ] || commit="$(git rev-parse HEAD 2>/dev/null || true)"
[ -n "$commit" ] || die "no commit: CODEBUILD_RESOLVED_SOURCE_VERSION is empty and the source is not a git checkout"
[[ "$commit" != *[[:cntrl:]]* && ${#commit} -le 256 ]] || die "the source version is not a usable commit id"
# ECR tags allow [A-Za-z0-9_.-], at most 128, not starting with '.' or '-' (S3 version ids need this).
tag="$(printf '%s' "$commit" | tr -c 'A-Za-z0-9_.-' '-')"
[[ "$tag" != [.-]* ]] || tag="_$tag"
printf '%s' "$commit" >"$BG_WORK/commit"
printf '%s' "${tag:0:128}" >"$BG_WORK/commit-tag"
printf '%s' "build-${CODEBUILD_BUILD_ID##*:}" >"$BG_WORK/build-tag"
log "commit $commit; tags $(state commit-tag), $(state build-tag)"

aws ecr get-login-password --region "$ECR_REGION" | docker login --username AWS --password-stdin "$ECR_REGISTRY"

trivy image --download-db-only --db-repository "$TRIVY_DB_REPOSITORY" --cache-dir "$TRIVY_CACHE_DIR" --no-progress
