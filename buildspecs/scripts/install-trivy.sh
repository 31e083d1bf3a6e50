#!/usr/bin/env bash
# Installs the pinned Trivy release into $BG_TOOLS_DIR/bin after checking its SHA-256. The archive
# is kept in the Trivy cache folder (a CodeBuild cache path), so later builds skip the download,
# but it is verified again before every use.
. "$(dirname "$0")/lib.sh"

require_env TRIVY_VERSION
case "$(uname -m)" in
  x86_64 | amd64) arch=64bit sha="${TRIVY_SHA256_LINUX_64BIT:-}" ;;
  aarch64 | arm64) arch=ARM64 sha="${TRIVY_SHA256_LINUX_ARM64:-}" ;;
  *) die "no Trivy build pinned for machine type $(uname -m)" ;;
esac
[[ "$sha" =~ ^[0-9a-f]{64}$ ]] || die "no valid SHA-256 pinned for trivy_${TRIVY_VERSION}_Linux-$arch.tar.gz"

asset="trivy_${TRIVY_VERSION}_Linux-${arch}.tar.gz"
base_url="${TRIVY_DOWNLOAD_URL:-https://github.com/aquasecurity/trivy/releases/download}"
dist="$TRIVY_CACHE_DIR/bluegreen-dist"
mkdir -p "$dist" "$BG_TOOLS_DIR/bin"

matches_pin() { echo "$sha  $1" | sha256sum --check --status; }

if [ -f "$dist/$asset" ] && matches_pin "$dist/$asset"; then
  log "Trivy $TRIVY_VERSION: cached archive matches the pinned SHA-256"
else
  rm -f "$dist/$asset" "$dist/$asset.part"
  log "Trivy $TRIVY_VERSION: downloading $asset"
  curl --fail --silent --show-error --location --retry 3 --output "$dist/$asset.part" "$base_url/v$TRIVY_VERSION/$asset"
  if ! matches_pin "$dist/$asset.part"; then
    actual="$(sha256sum "$dist/$asset.part" | cut -d' ' -f1)"
    rm -f "$dist/$asset.part"
    die "checksum mismatch for $asset: expected $sha, got $actual"
  fi
  mv "$dist/$asset.part" "$dist/$asset"
fi

tar -xzf "$dist/$asset" -C "$BG_TOOLS_DIR/bin" trivy
version="$("$BG_TOOLS_DIR/bin/trivy" --version)"
[[ "$version" == *"Version: $TRIVY_VERSION"* ]] || die "installed trivy does not report version $TRIVY_VERSION"
log "Trivy $TRIVY_VERSION installed in $BG_TOOLS_DIR/bin"
