#!/usr/bin/env bash
# post_build: pushes the image the gate passed under the commit and build-id tags, reads the
# digest back from the registry, and writes the exported variables for the buildspec to source.
. "$(dirname "$0")/lib.sh"

parse_repository_uri
[ -s "$BG_WORK/gate-passed" ] || die "refusing to push: the scan gate has not passed in this build"
image_id="$(docker image inspect --format '{{.Id}}' "$LOCAL_IMAGE")"
[ "$image_id" = "$(state gate-passed)" ] || die "refusing to push: $LOCAL_IMAGE is not the image the gate passed"

commit="$(state commit)"
tags=("$(state commit-tag)" "$(state build-tag)")
for tag in "${tags[@]}"; do
  docker tag "$LOCAL_IMAGE" "$REPOSITORY_URI:$tag"
  docker push "$REPOSITORY_URI:$tag"
done

digest=""
for tag in "${tags[@]}"; do
  found="$(aws ecr describe-images --registry-id "$ECR_ACCOUNT" --region "$ECR_REGION" \
    --repository-name "$ECR_REPOSITORY" --image-ids "imageTag=$tag" \
    --query 'imageDetails[0].imageDigest' --output text)"
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
