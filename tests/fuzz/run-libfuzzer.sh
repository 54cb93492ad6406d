#!/bin/bash
# Coverage-guided fuzzing of the parsers with libFuzzer (clang-14 and
# libclang-rt-14-dev from Debian). Not part of the test suite (it runs for
# as long as you let it); the suite replays the seed corpora instead.
#   bash tests/fuzz/run-libfuzzer.sh [SECONDS_PER_TARGET]   (default 60)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-60}
CC=${CC:-clang-14}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# The whole library: token files name their grant kind (lib/grant*.c), which
# pulls in the credential and signing code.
LIB=$(ls "$SRC"/lib/*.c)
for t in token_file server_error token_response sa_key; do
	$CC -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DSYSCONFDIR='"/etc"' \
		-DPACKAGE_VERSION='"fuzz"' -I"$SRC/include" -o "$OUT/fuzz_$t" \
		"$SRC/tests/fuzz/fuzz_$t.c" $LIB $(pkg-config --cflags --libs json-c libcurl openssl)
	mkdir -p "$OUT/corpus_$t"
	cp "$SRC/tests/fuzz/corpus/$t"/* "$OUT/corpus_$t/"
	echo "== fuzz_$t for $SECS s"
	"$OUT/fuzz_$t" -max_total_time="$SECS" -max_len=70000 -print_final_stats=1 \
		"$OUT/corpus_$t" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)|Done"
done
