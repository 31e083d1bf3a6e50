#!/usr/bin/env bash
# build: docker build, scan the local image (JSON report + CycloneDX SBOM), optionally scan the
# live image for the baseline, then run the gate. Marks the image as passed only on exit code 0.
. "$(dirname "$0")/lib.sh"

parse_repository_uri
require_env TRIVY_JAVA_DB_REPOSITORY
commit="$(state commit)"
rm -f "$BG_WORK/gate-passed"

docker build --pull \
  --file "${DOCKERFILE:-Dockerfile}" \
  --build-arg "COMMIT=$commit" \
  --label "org.opencontainers.image.revision=$commit" \
  --tag "$LOCAL_IMAGE" \
  "${DOCKER_BUILD_CONTEXT:-.}"
image_id="$(docker image inspect --format '{{.Id}}' "$LOCAL_IMAGE")"
[ -n "$image_id" ] || die "docker did not report an image id for $LOCAL_IMAGE"

mkdir -p "$BG_OUT"
scan() {
  local out="$1"
  shift
  trivy image --scanners vuln,secret --image-config-scanners misconfig,secret \
    --skip-db-update --skip-check-update --java-db-repository "$TRIVY_JAVA_DB_REPOSITORY" \
    --cache-dir "$TRIVY_CACHE_DIR" --list-all-pkgs --format json --output "$out" \
    --timeout 30m --no-progress "$@"
}
scan "$BG_OUT/trivy-report.json" --image-src docker "$LOCAL_IMAGE"
trivy convert --format cyclonedx --output "$BG_OUT/sbom.cdx.json" "$BG_OUT/trivy-report.json"

# Baseline: the live digest from the release state record, when there is one. The baseline only
# informs the approver; if it cannot be had, the summary says so and the gate still decides.
live_digest() {
  local value
  if ! value="$(aws ssm get-parameter --with-decryption --name "$BG_STATE_PARAMETER" --query Parameter.Value --output text 2>"$BG_WORK/ssm.err")"; then
    grep -q ParameterNotFound "$BG_WORK/ssm.err" && return 0 # no release yet
    cat "$BG_WORK/ssm.err" >&2
    return 1
  fi
  printf '%s' "$value" | node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const digest = JSON.parse(text).liveDigest;
      if (digest === null || digest === undefined) return;
      if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error("bad liveDigest");
      process.stdout.write(digest);
    });'
}
gate_args=()
baseline_note=""
if [ -n "${BG_STATE_PARAMETER:-}" ]; then
  if digest="$(live_digest)"; then
    if [ -n "$digest" ]; then
      log "baseline: scanning the live image $digest"
      if scan "$BG_WORK/live-report.json" --image-src remote "$REPOSITORY_URI@$digest"; then
        gate_args+=(--baseline "$BG_WORK/live-report.json")
      else
        log "baseline: the live image could not be scanned; continuing without it"
        baseline_note="; live baseline unavailable"
      fi
    fi
  else
    log "baseline: the release state could not be read; continuing without it"
    baseline_note="; live baseline unavailable"
  fi
fi

[ "${GATE_IGNORE_UNFIXED:-true}" != true ] || gate_args+=(--ignore-unfixed)
[ "${GATE_ALLOW_EMPTY_SCAN:-false}" != true ] || gate_args+=(--allow-empty-scan)
allow_list="${GATE_ALLOW_LIST:-.bluegreen/allow-list.json}"
if [ -f "$allow_list" ]; then
  gate_args+=(--allow "$allow_list")
else
  log "no allow-list at $allow_list"
fi

gate=0
node "$BG_TOOLS_DIR/scan-gate.js" "$BG_OUT/trivy-report.json" --fail-on "${GATE_FAIL_ON:-HIGH}" "${gate_args[@]}" \
  --junit "$BG_OUT/gate-junit.xml" --markdown "$BG_OUT/gate-summary.md" \
  --summary-file "$BG_WORK/scan-summary.txt" --json >"$BG_OUT/gate-result.json" || gate=$?
cat "$BG_OUT/gate-summary.md" 2>/dev/null || true
[ "$gate" -eq 0 ] || {
  printf '[bluegreen] ERROR: scan gate exit code %s (1 = policy violation or nothing scanned, 2 = unusable report); the image is not pushed\n' "$gate" >&2
  exit "$gate"
}

summary="$(state scan-summary.txt)$baseline_note"
printf '%s' "${summary:0:200}" >"$BG_WORK/scan-summary.txt"
printf '%s' "$image_id" >"$BG_WORK/gate-passed"
log "scan gate passed: $(state scan-summary.txt)"
