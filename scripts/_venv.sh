# Sourced by the other scripts: find Python 3.13 and make .venv with it.
# PYTHON overrides the interpreter; pyenv's 3.13 is used when python3.13
# is not on PATH.

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  if python3.13 --version >/dev/null 2>&1; then echo python3.13; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    local version
    version=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$' | sort -V | tail -n 1)
    if [ -n "$version" ]; then echo "$(pyenv root)/versions/$version/bin/python3.13"; return; fi
  fi
  echo "Python 3.13 not found: install it, or set PYTHON=/path/to/python3.13" >&2
  return 1
}

# ensure_venv REQUIREMENTS_FILE: create .venv if needed and install into it.
ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
}

# ensure_chromium: a Chromium for the browser tests. Debian's chromium where
# it is installed or installable (CHROMIUM points Playwright at it), else
# Playwright's own download.
ensure_chromium() {
  if [ -n "${CHROMIUM:-}" ]; then return; fi
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -x "$candidate" ]; then export CHROMIUM="$candidate"; return; fi
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    export CHROMIUM=/usr/bin/chromium
    return
  fi
  .venv/bin/python -m playwright install chromium
}
