#!/usr/bin/env bash
# Refresh the vendored Swagger UI (run by hand, then commit
# gateway/static/vendor/): the gateway serves /docs with its own copy, so the
# page works offline and no third-party script runs on the API's origin.
#   swagger-ui-dist  Swagger UI's prebuilt bundle (Apache-2.0, SmartBear Software)
set -euo pipefail
SWAGGER_UI=5.35.0
here=$(cd "$(dirname "$0")" && pwd)
out=$here/static/vendor/swagger-ui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "swagger-ui-dist@$SWAGGER_UI" >/dev/null
tar xzf "swagger-ui-dist-$SWAGGER_UI.tgz"
rm -rf "$out"; mkdir -p "$out"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
  cp "package/$f" "$out/"
done
# No source maps are shipped: drop the comments pointing at them.
sed -i '/^\/\/# sourceMappingURL=/d' "$out/swagger-ui-bundle.js"
sed -i 's|/\*# sourceMappingURL=[^*]*\*/||' "$out/swagger-ui.css"
echo "swagger-ui-dist $SWAGGER_UI" > "$out/VERSION"
du -sh "$out"
