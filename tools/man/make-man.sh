#!/bin/sh
# make-man.sh PROGRAM OUTPUT TEMPLATE [COMMAND...]: the man page of PROGRAM from its --help and
# --version (help2man), with TEMPLATE's sections and, for each COMMAND ("job+wait" for
# "job wait"), a COMMANDS subsection holding `PROGRAM COMMAND --help` as it prints it.
set -eu
program=$1
output=$2
template=$3
shift 3
include=$output.h2m
{
    cat "$template"
    if [ $# -gt 0 ]; then
        echo "[COMMANDS]"
        for command in "$@"; do
            words=$(echo "$command" | tr + ' ')
            echo ".SS \"$words\""
            echo ".nf"
            # roff: backslashes escaped, a leading . or ' made literal.
            # shellcheck disable=SC2086
            "$program" $words --help | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
            echo ".fi"
        done
    fi
} > "$include"
help2man --no-info --include "$include" --output "$output" "$program"
rm -f "$include"
