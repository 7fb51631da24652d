# Sourced by the scripts that make a Python virtualenv (moto, the Helm check's kubernetes-validate).

# a Python 3 that can make a virtualenv with pip (pyenv shims may name versions that are not installed)
python_bin() {
  local p
  for p in python3 python3.12 python3.11 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      command -v "$p"
      return 0
    fi
  done
  return 1
}
