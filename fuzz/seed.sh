#!/usr/bin/env sh
# Seeds fuzz/corpus/<target>/ with copies of the recorded fixtures (never moves them).
# The corpus directories are git-ignored; run this once before `cargo fuzz run`.
# Usage (from anywhere): sh fuzz/seed.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
corpus="$here/corpus"

# seed TARGET FILE... : copies each existing FILE into corpus/TARGET/, prefixed by its
# parent directory so that same-named fixtures of different cases do not collide.
seed() {
    target=$1
    shift
    mkdir -p "$corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$target/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
}

# Inputs only: `*.expected.json` files are normalised outputs, not platform answers.
inputs() {
    for f in "$@"; do
        case "$f" in
        *.expected.json) ;;
        *) printf '%s\n' "$f" ;;
        esac
    done
}

# shellcheck disable=SC2046 # fixture names have no spaces
seed openedx_page $(inputs "$fixtures"/openedx/*.json "$fixtures"/openedx/demo/*.json)
seed openedx_detail "$fixtures/openedx/detail.json"
seed openedx_rss_feed "$fixtures"/openedx_rss/*.xml "$fixtures"/openedx_rss/demo/*.xml
# shellcheck disable=SC2046
seed xuetangx_page $(inputs "$fixtures"/xuetangx/*.json "$fixtures"/xuetangx/demo/*.json)
# shellcheck disable=SC2046
seed thaimooc_portal $(inputs "$fixtures"/thaimooc/*.json)
seed thaimooc_page "$fixtures"/thaimooc/pages/*.html

# The normalisers take short field values: one seed each, in the shapes the platforms use.
mkdir -p "$corpus/normalise"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" >"$corpus/normalise/seed-$n"
done <<'SEEDS'
2024-09-01T02:03:04.123Z
2024-09-01 00:00:00+0800
Mon, 25 Apr 2016 00:00:00 +0000
1725120000000
2024年9月1日 10:00
1 มิ.ย. 2568 - 31 ส.ค. 2568
15 มิถุนายน พ.ศ. 2568 เวลา 09:30 น.
เรียนได้ตลอดเวลา
2024-09-01 ~ 2024-12-31
3-4 hours per week
每周3-4小时
10 ชั่วโมง
self-paced, 2 hrs/wk
English
ภาษาไทย
zh-Hans
中文
<p>Intro <b>bold</b><script>x()</script><a href="javascript:1">l</a></p>
<ul><li>one</li><li>two &amp; three</li></ul><br><img src=x onerror=y>
SEEDS

for d in "$corpus"/*/; do
    printf '%s: %s files\n' "$(basename "$d")" "$(ls "$d" | wc -l)"
done
