#!/usr/bin/env bats
# install.bats - make install / uninstall with DESTDIR and PREFIX.

setup() {
	: "${V6KIT_TOP:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
	DEST=$(mktemp -d)
}

teardown() {
	rm -rf "$DEST"
}

# A make of our own: not a child of the jobserver or variables of `make test`.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$V6KIT_TOP" "$@"
}

@test "make install DESTDIR PREFIX=/usr: binary, applet links, man pages, completions" {
	run mk install DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	bin=$DEST/usr/bin/v6kit
	[ -x "$bin" ] && [ ! -L "$bin" ]
	run "$bin" --version
	[ "$status" -eq 0 ]
	[[ $output == "v6kit "* ]]
	list=$("$bin" --list | cut -f1)
	# Nothing escaped DESTDIR/PREFIX.
	[ -z "$(find "$DEST" -mindepth 1 -maxdepth 1 ! -name usr)" ]
	for a in $list; do
		[ -L "$DEST/usr/bin/$a" ] || { echo "no link bin/$a"; return 1; }
		[ "$(readlink "$DEST/usr/bin/$a")" = v6kit ]
		run "$DEST/usr/bin/$a" --help
		[ "$status" -eq 0 ] || { echo "$a --help via link: $status"; return 1; }
		[ -L "$DEST/usr/share/bash-completion/completions/$a" ]
	done
	for page in "$V6KIT_TOP"/man/*.1; do
		cmp "$page" "$DEST/usr/share/man/man1/${page##*/}"
	done
	[ -f "$DEST/usr/share/man/man1/v6kit.1" ]
	cmp "$V6KIT_TOP/completions/v6kit.bash" "$DEST/usr/share/bash-completion/completions/v6kit"
	cmp "$V6KIT_TOP/completions/_v6kit" "$DEST/usr/share/zsh/site-functions/_v6kit"
	# The installed bash completion works from its installed place.
	run env PATH="$DEST/usr/bin:$PATH" bash -c '
		source "$1/usr/share/bash-completion/completions/v6kit"
		COMP_WORDS=(v6kit he); COMP_CWORD=1; _v6kit; echo "${COMPREPLY[*]}"' _ "$DEST"
	[ "$output" = help ]
}

@test "make uninstall removes what make install put there" {
	run mk install DESTDIR="$DEST" PREFIX=/opt/v6
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -x "$DEST/opt/v6/bin/v6kit" ]
	run mk uninstall DESTDIR="$DEST" PREFIX=/opt/v6
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	left=$(find "$DEST" ! -type d)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
