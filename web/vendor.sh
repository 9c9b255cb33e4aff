#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (run by hand,
# then commit web/static/vendor/): the app serves them itself, no CDN.
#   @gouvfr/dsfr  the French State's design system (CSS, its fonts, icons it uses, JS)
#   htmx.org      partial page updates; htmx-ext-sse its Server-Sent Events extension
#   axe-core      accessibility checks, injected by tests/web only (not served)
set -euo pipefail
DSFR=1.15.3 HTMX=2.0.11 HTMX_SSE=2.2.4 AXE=4.14.1
here=$(cd "$(dirname "$0")" && pwd)
out=$here/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@gouvfr/dsfr@$DSFR" "htmx.org@$HTMX" "htmx-ext-sse@$HTMX_SSE" "axe-core@$AXE" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
rm -rf "$out"; mkdir -p "$out/dsfr" "$out/htmx" "$here/../tests/web/vendor"
d=gouvfr-dsfr-$DSFR/package/dist
# CSS only: every page works without JavaScript, so no DSFR component that needs its JS is used.
cp "$d/dsfr.min.css" "$out/dsfr/"
cp "gouvfr-dsfr-$DSFR/package/LICENSE.md" "$out/dsfr/LICENSE.md"
mkdir -p "$out/dsfr/fonts" "$out/dsfr/favicon"
cp "$d"/fonts/*.woff2 "$d"/fonts/*.woff "$out/dsfr/fonts/"
cp "$d"/favicon/* "$out/dsfr/favicon/"
# Only the icons the stylesheet itself refers to.
grep -o 'url(icons/[^)]*)' "$d/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u | while read -r icon; do
  mkdir -p "$out/dsfr/$(dirname "$icon")"; cp "$d/$icon" "$out/dsfr/$icon"
done
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$out/htmx/htmx.min.js"
cp "htmx-ext-sse-$HTMX_SSE/package/dist/sse.min.js" "$out/htmx/sse.min.js" 2>/dev/null \
  || cp "htmx-ext-sse-$HTMX_SSE/package/sse.js" "$out/htmx/sse.min.js"
cp "htmx.org-$HTMX/package/LICENSE" "$out/htmx/LICENSE"
cp "axe-core-$AXE/package/axe.min.js" "$here/../tests/web/vendor/axe.min.js"
cp "axe-core-$AXE/package/LICENSE" "$here/../tests/web/vendor/axe-LICENSE"
echo "dsfr $DSFR, htmx $HTMX, htmx-ext-sse $HTMX_SSE, axe-core $AXE" > "$out/VERSIONS"
du -sh "$out"
