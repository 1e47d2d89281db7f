#!/usr/bin/env bash
# Copies GOV.UK Frontend's built CSS, JavaScript, fonts and images where the app serves /assets.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=node_modules/govuk-frontend/dist/govuk
target_dir=src/sharewell/web/static/govuk
rm -rf "$target_dir.tmp"
mkdir -p "$target_dir.tmp"
cp -R "$source_dir/assets/." "$target_dir.tmp/"
cp "$source_dir/govuk-frontend.min.css" "$source_dir/govuk-frontend.min.js" "$target_dir.tmp/"
rm -rf "$target_dir"
mv "$target_dir.tmp" "$target_dir"
echo "GOV.UK Frontend $(node -p "require('./node_modules/govuk-frontend/package.json').version") assets in $target_dir"
