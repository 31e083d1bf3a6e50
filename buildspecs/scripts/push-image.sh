#!/usr/bin/env bash
# post_build: pushes the image the gate passed under the commit tag (unless an earlier build of
# that commit holds it) and the build-id tag, reads the digest back from the registry, and writes
# the exported variables for the buildspec to source.
. "$(dirname "$0")/lib.sh"

parse_repository_uri
[ -s "$BG_WORK/gate-passed" ] || die "refusing to push: the scan gate has not passed in this build"
image_id="$(docker image inspect --format '{{.Id}}' "$LOCAL_IMAGE")"
[ "$image_id" = "$(state gate-passed)" ] || die "refusing to push: $LOCAL_IMAGE is not the image the gate passed"

# The digest ECR holds under a tag; empty when the tag does not exist. Any other error stops the build.
registry_digest() {
  local found
  if found="$(aws ecr describe-images --registry-id "$ECR_ACCOUNT" --region "$ECR_REGION" \
    --repository-name "$ECR_REPOSITORY" --image-ids "imageTag=$1" \
    --query 'imageDetails[0].imageDigest' --output text 2>"$BG_WORK/describe-images.err")"; then
    printf '%s' "$found"
  elif grep -q ImageNotFoundException "$BG_WORK/describe-images.err"; then
    printf ''
  else
    die "could not read tag $1 from ECR: $(head -n 1 "$BG_WORK/describe-images.err")"
  fi
}

commit="$(state commit)"
commit_tag="$(state commit-tag)"
tags=("$commit_tag" "$(state build-tag)")
# Release tags are immutable: a retry or rebuild of the same commit cannot move the commit tag.
# It is left alone; the unique build-id tag and the exported digest identify this build.
existing="$(registry_digest "$commit_tag")"
if [ -n "$existing" ]; then
  log "tag $commit_tag already exists ($existing); it keeps pointing at the first build of commit $commit"
  tags=("$(state build-tag)")
fi
for tag in "${tags[@]}"; do
  docker tag "$LOCAL_IMAGE" "$REPOSITORY_URI:$tag"
  docker push "$REPOSITORY_URI:$tag"
done

digest=""
for tag in "${tags[@]}"; do
  found="$(registry_digest "$tag")"
  [[ "$found" =~ ^sha256:[0-9a-f]{64}$ ]] || die "ECR returned no digest for tag $tag (got '$found')"
  [ -z "$digest" ] || [ "$found" = "$digest" ] || die "tags ${tags[0]} and $tag point at different digests"
  digest="$found"
done
# The digest must be the one docker pushed for the scanned image, not something else under the tag.
repo_digests="$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$LOCAL_IMAGE")"
grep -Fxq "$REPOSITORY_URI@$digest" <<<"$repo_digests" || die "registry digest $digest is not the digest of the pushed image"

summary="$(state scan-summary.txt)"
{
  printf 'export IMAGE_URI=%q\n' "$REPOSITORY_URI@$digest"
  printf 'export IMAGE_DIGEST=%q\n' "$digest"
  printf 'export COMMIT=%q\n' "$commit"
  printf 'export SCAN_SUMMARY=%q\n' "$summary"
} >"$BG_WORK/exports.sh"
log "pushed $REPOSITORY_URI@$digest (tags ${tags[*]})"
