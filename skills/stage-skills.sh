#!/bin/sh
# Lays out built skills as they are installed: OUT/<id>/{skill.toml,<executable>}.
# Usage: stage-skills.sh OUT [ID MANIFEST EXECUTABLE]...
set -eu
out=$1
shift
rm -rf "$out.new"
mkdir -p "$out.new"
while [ $# -ge 3 ]; do
  id=$1 manifest=$2 exe=$3
  shift 3
  mkdir -m 0755 "$out.new/$id" "$out.new/$id/workspace"   # workspace: see skills/meson.build
  cp "$manifest" "$out.new/$id/skill.toml"
  cp "$exe" "$out.new/$id/"
  chmod 0644 "$out.new/$id/skill.toml"
  chmod 0755 "$out.new/$id/$(basename "$exe")"
done
rm -rf "$out"
mv "$out.new" "$out"
