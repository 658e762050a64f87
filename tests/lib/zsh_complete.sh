#!/usr/bin/env bash
# zsh_complete.sh - ask a real zsh (compinit, ZLE on a pseudo-terminal) to
# complete a command line with completions/_v6kit; print the candidates it
# offered, one a line.  Usage: zsh_complete.sh 'v6kit he'
# The completion functions' compadd calls are recorded (compadd -O) and
# then passed on unchanged.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/.zshrc" <<ZRC
fpath=($top/completions \$fpath)
autoload -Uz compinit && compinit -u -d $work/zcompdump
compadd() { local -a __hits; builtin compadd -O __hits "\$@"; print -rl -- \$__hits >>$work/hits; builtin compadd "\$@" }
PS1='zsh-ready> '
ZRC
: >"$work/hits"
ZDOTDIR=$work "$here/pty_drive.py" -t 15 'expect=zsh-ready> ' "send=$1"$'\t' 'sleep=1' 'send=\x15' 'sleep=0.3' \
	'send=exit\r' -- zsh -i >"$work/transcript" 2>&1 || {
	cat "$work/transcript" >&2
	exit 1
}
sed "/^$/d" "$work/hits" | sort -u
