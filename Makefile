# Two commands matter: `make book` and `make test`. Both bootstrap everything they need
# from a fresh machine: a virtualenv with the pinned requirements, dlcourse installed
# editable, and (for the browser test) Debian's Chromium.

# Any Python 3.11-3.13 (pyproject's requires-python); the build machine and CI use 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2
NBEXEC = $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
  --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.record_timing=False

.PHONY: all install chromium book catalogs translations test unit notebooks execute execute-all bench lab clean

all: test

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP)

# The browser test drives Debian's Chromium; Playwright never downloads a browser here.
# A CJK font makes the Chinese terms legible in the review screenshots.
APT_PACKAGES := chromium fonts-wqy-zenhei
chromium:
	@test -x /usr/bin/chromium && dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_PACKAGES); }

# Builds from the outputs stored in the notebooks (execution is off): the site shows
# exactly what `make test` verified. Sphinx's environment cache makes a rebuild fast.
# Both editions: English in _build/html, Chinese (from locale/zh_CN) in _build/html/zh_CN,
# plus the translation templates (_build/catalogs) that tests/test_translation.py checks.
ZH := _build/zh_CN
CATALOGS := _build/catalogs
book: $(STAMP) catalogs
	$(BIN)/jupyter-book build . -W --keep-going
	mkdir -p $(ZH)
	$(BIN)/python book/_ext/edition_config.py zh_CN > $(ZH)/_config.yml
	$(BIN)/jupyter-book build . --config $(ZH)/_config.yml --path-output $(ZH) -W --keep-going
	rm -rf _build/html/zh_CN && cp -r $(ZH)/_build/html _build/html/zh_CN

# The translation templates: every translatable string of the English book, one .pot per page.
catalogs: $(STAMP)
	$(BIN)/jupyter-book build . --builder custom --custom-builder gettext --path-output $(CATALOGS) -W --keep-going

# After editing English text: refresh the Chinese catalogs (new strings appear empty,
# changed ones fuzzy), translate them in locale/zh_CN/LC_MESSAGES, then `make book`.
translations: catalogs
	$(BIN)/sphinx-intl update -p $(CATALOGS)/_build/gettext -d locale -l zh_CN

# Everything: unit and parity tests, the docstring examples of dlcourse as doctests,
# strict nbval over every notebook, and the browser test over every page of the built
# site. `--dist loadfile` keeps each notebook on one worker (plain -n would split a
# notebook's cells across workers).
test: $(STAMP) chromium book
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval \
	  --nbval-sanitize-with nbval_sanitize.cfg --doctest-modules tests book dlcourse

unit: $(STAMP) catalogs
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --doctest-modules tests dlcourse

notebooks: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval \
	  --nbval-sanitize-with nbval_sanitize.cfg book

# Re-execute a notebook after editing it and store its outputs:  make execute NB=book/....ipynb
execute: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make execute NB=path/to/notebook.ipynb"; exit 2; }
	$(NBEXEC) $(NB)

execute-all: $(STAMP)
	$(NBEXEC) $$(find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)

bench: $(STAMP)
	$(BIN)/python -m dlcourse.bench

lab: $(STAMP)
	$(BIN)/jupyter lab book

clean:
	rm -rf _build
