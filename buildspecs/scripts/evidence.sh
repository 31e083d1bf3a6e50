#!/usr/bin/env bash
# post_build, after the push: the build's evidence for the release record. Uploads the Trivy report,
# the SBOM and then build.json (which names them) under the execution's key, so a build.json is
# only ever there with its report and SBOM. Only when the construct sets BG_EVIDENCE_S3_URI; then
# BG_EXECUTION_ID (the action's #{codepipeline.PipelineExecutionId}) must be set too.
. "$(dirname "$0")/lib.sh"

[ -n "${BG_EVIDENCE_S3_URI:-}" ] || { log "no BG_EVIDENCE_S3_URI: no build evidence is kept"; exit 0; }
[[ "$BG_EVIDENCE_S3_URI" =~ ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*\'()-]+)*$ ]] ||
  die "BG_EVIDENCE_S3_URI '$BG_EVIDENCE_S3_URI' is not an s3://bucket/prefix URI"
execution="${BG_EXECUTION_ID:-}"
[[ "$execution" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
  die "BG_EXECUTION_ID '$execution' is not a pipeline execution id (the build action must pass #{codepipeline.PipelineExecutionId})"
require_env IMAGE_URI IMAGE_DIGEST COMMIT SCAN_SUMMARY CODEBUILD_BUILD_ID

base="$BG_EVIDENCE_S3_URI/$execution"
trivy version --format json --cache-dir "$TRIVY_CACHE_DIR" >"$BG_WORK/trivy-version.json"
node "$BG_TOOLS_DIR/build-evidence.js" "$BG_OUT/gate-result.json" "$BG_WORK/trivy-version.json" \
  "$base/trivy-report.json" "$base/sbom.cdx.json" >"$BG_WORK/build.json"
aws s3 cp --only-show-errors "$BG_OUT/trivy-report.json" "$base/trivy-report.json"
aws s3 cp --only-show-errors "$BG_OUT/sbom.cdx.json" "$base/sbom.cdx.json"
aws s3 cp --only-show-errors --content-type application/json "$BG_WORK/build.json" "$base/build.json"
log "build evidence kept at $base/build.json"
