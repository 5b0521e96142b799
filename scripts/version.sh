#!/usr/bin/env bash
# Prints the version and the git commit of the checkout, one per line, for scripts/package.sh:
#   - on a commit tagged vX.Y.Z: X.Y.Z;
#   - after such a tag: X.Y.Z+N.gCOMMIT (N commits since the tag);
#   - with no tag: the VERSION file's X.Y.Z+gitN.gCOMMIT (N commits in all),
# with ".dirty" appended when tracked files have changes. Each is a valid Debian version that sorts after the
# one before it on the same branch. Outside a git checkout (a source tarball): VERSION and "unknown".
set -euo pipefail
cd "$(dirname "$0")/.."
base=$(tr -d ' \n' < VERSION)
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  printf '%s\nunknown\n' "$base"
  exit 0
fi
revision=$(git rev-parse --short=12 HEAD)
dirty=""
git diff --quiet HEAD -- 2>/dev/null || dirty=".dirty"
if described=$(git describe --tags --match 'v[0-9]*' --long 2>/dev/null); then
  # vX.Y.Z-N-gSHA
  tag=${described%-*-g*}
  count=${described#"$tag"-}
  count=${count%%-*}
  if [ "$count" = 0 ]; then version=${tag#v}; else version="${tag#v}+$count.g${revision:0:7}"; fi
else
  version="$base+git$(git rev-list --count HEAD).g${revision:0:7}"
fi
printf '%s%s\n%s%s\n' "$version" "$dirty" "$revision" "${dirty:+-dirty}"
