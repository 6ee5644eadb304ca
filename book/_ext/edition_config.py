"""Write the configuration of a translated edition: ``_config.yml`` plus its language.

The Chinese edition is built from the same sources and the same stored outputs as the
English one; only the language, the catalogs in ``locale/`` and the site title differ.
Generating its configuration from ``_config.yml`` keeps the two from drifting apart::

    python book/_ext/edition_config.py zh_CN > _build/zh_CN/_config.yml
"""
from __future__ import annotations

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What an edition changes besides the language: its title and author line, and the labels myst-nb
# puts on collapsed cells (configuration values, so the catalogs cannot reach them).
EDITIONS = {
    "zh_CN": {"title": "深度学习，步步有据", "author": "dlcourse 作者",
              "sphinx_config": {"nb_code_prompt_show": "显示代码单元格", "nb_code_prompt_hide": "隐藏代码单元格"}},
}


def edition_config(language: str) -> dict:
    if language not in EDITIONS:
        raise SystemExit(f"edition_config: expected one of {sorted(EDITIONS)}, got {language!r}")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    edition = dict(EDITIONS[language])
    sphinx_config = edition.pop("sphinx_config", {})
    config.update(edition)
    sphinx = config.setdefault("sphinx", {})
    # Jupyter Book resolves extension folders against the config file's own folder.
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx.get("local_extensions", {}).items()}
    sphinx.setdefault("config", {}).update(language=language, locale_dirs=["locale"], **sphinx_config)
    return config


if __name__ == "__main__":
    language = sys.argv[1] if len(sys.argv) == 2 else None
    if language is None:
        raise SystemExit("usage: python book/_ext/edition_config.py <language>")
    sys.stdout.write(yaml.safe_dump(edition_config(language), allow_unicode=True, sort_keys=False))
