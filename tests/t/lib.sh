# SPDX-License-Identifier: AGPL-3.0-or-later
# Sourced by tests/t/*.sh: TAP helpers and the paths every test needs.
#   $TRAWL    the binary under test (tests/run sets it)
#   $TOP      the repository
#   $CORPORA  ../shared/corpora
#   $TMP      a scratch folder removed at exit
set -u
TOP=${TRAWL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
TRAWL=${TRAWL:-$TOP/trawl}
CORPORA=$(cd "$TOP/.." && pwd)/shared/corpora
VARIANT=${TRAWL_VARIANT:-plain}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/trawl-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
_n=0 _failed=0

ok() { # ok DESCRIPTION COMMAND... : passes when the command succeeds
	local d=$1; shift
	_n=$((_n + 1))
	if "$@" >"$TMP/.out" 2>&1; then
		echo "ok $_n - $d"
	else
		_failed=$((_failed + 1))
		echo "not ok $_n - $d"
		echo "#   command: $*"
		sed 's/^/#   /' "$TMP/.out" | head -30
	fi
}

is() { # is GOT WANT DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_n - $3"
	else
		_failed=$((_failed + 1))
		echo "not ok $_n - $3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2" | head -40
	fi
}

skip() { # skip REASON
	_n=$((_n + 1))
	echo "ok $_n # SKIP $1"
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}

# need_corpus PATH: skip the whole test (one SKIP line) when absent.
need_corpus() {
	if [ ! -e "$CORPORA/$1" ]; then
		skip "corpus $CORPORA/$1 not present"
		done_testing
		exit 0
	fi
}

# enron_slice DIR N: the first N files of the Enron tarball, in bytewise
# path order, unpacked into DIR (the caller checks that the tarball is there).
enron_slice() {
	mkdir -p "$1" &&
		tar -xzf "$CORPORA/enron-inbox.tar.gz" -C "$1" \
			$(tar -tzf "$CORPORA/enron-inbox.tar.gz" | grep -v '/$' | LC_ALL=C sort | head -n "$2")
}

# jget JSONFILE KEY: a top-level key of a JSON object (python3 is a test dep).
jget() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}
