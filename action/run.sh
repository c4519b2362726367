#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), one subcommand each, so that shellcheck reads them:
#
#   run.sh cache   the pip cache's folder and a key for it (step outputs dir=, key=)
#   run.sh install spoilerscan from the action's own checkout ($GITHUB_ACTION_PATH: the commit the
#                  workflow pinned) into a virtualenv of its own: ONNX Runtime, no torch
#   run.sh check   spoilerscan check on $SPOILERSCAN_PATHS; its exit code is the step's
#
# The runner fills the action's inputs into SPOILERSCAN_* variables (action.yml, env:), never into
# the script's text.
set -euo pipefail

venv="$RUNNER_TEMP/spoilerscan-venv"

cache() {
    local python_version
    python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    # The dependencies are spoilerscan's own: they change with its pyproject.toml.
    local digest
    digest=$(python -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' \
        "$GITHUB_ACTION_PATH/pyproject.toml")
    local folder
    folder=$(python -m pip cache dir 2>/dev/null) || folder="$HOME/.cache/pip"  # (pip's cache switched off)
    {
        echo "dir=$folder"
        echo "key=spoilerscan-pip-$RUNNER_OS-$RUNNER_ARCH-py$python_version-$digest"
    } >>"$GITHUB_OUTPUT"
}

install() {
    python -m venv "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"
    "$venv/bin/spoilerscan" --version
}

check() {
    local -a args=(--recursive --format "$SPOILERSCAN_FORMAT" --summary-file "$GITHUB_STEP_SUMMARY"
        --outputs-file "$GITHUB_OUTPUT")
    local sarif="$SPOILERSCAN_SARIF_FILE"
    if [ -z "$sarif" ] && [ "$SPOILERSCAN_FORMAT" = sarif ]; then
        sarif="$RUNNER_TEMP/spoilerscan.sarif"  # asked for SARIF: a file to upload, not only the log
    fi
    if [ -n "$sarif" ]; then
        args+=(--sarif-file "$sarif")
    fi
    if [ -n "$SPOILERSCAN_FAIL_THRESHOLD" ]; then
        args+=(--fail-threshold "$SPOILERSCAN_FAIL_THRESHOLD")
    fi
    if [ -n "$SPOILERSCAN_CONFIG" ]; then
        args+=(--config "$SPOILERSCAN_CONFIG")
    fi
    # One path per word, spaces or line breaks between them; globs are spoilerscan's to expand.
    local -a paths
    read -r -d '' -a paths <<<"$SPOILERSCAN_PATHS" || true
    if [ "${#paths[@]}" -eq 0 ]; then
        paths=(.)  # an empty input: the repository, as the default
    fi
    "$venv/bin/spoilerscan" check "${args[@]}" -- "${paths[@]}"
}

case "${1:-}" in
    cache | install | check) "$1" ;;
    *)
        echo "usage: $0 cache|install|check" >&2
        exit 2
        ;;
esac
