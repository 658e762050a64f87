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

@test "make install DESTDIR PREFIX=/usr: binary, applet links, man pages, completions, units" {
	run mk install DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	bin=$DEST/usr/bin/v6kit
	[ -x "$bin" ] && [ ! -L "$bin" ]
	run "$bin" --version
	[ "$status" -eq 0 ]
	[[ $output == "v6kit "* ]]
	list=$("$bin" --list | cut -f1)
	# Nothing escaped DESTDIR/PREFIX but the logrotate snippet (SYSCONFDIR=/etc).
	[ -z "$(find "$DEST" -mindepth 1 -maxdepth 1 ! -name usr ! -name etc)" ]
	[ "$(cd "$DEST/etc" && find . ! -type d)" = ./logrotate.d/v6kit ]
	cmp "$V6KIT_TOP/packaging/logrotate" "$DEST/etc/logrotate.d/v6kit"
	for a in $list; do
		[ -L "$DEST/usr/bin/$a" ] || { echo "no link bin/$a"; return 1; }
		[ "$(readlink "$DEST/usr/bin/$a")" = v6kit ]
		run "$DEST/usr/bin/$a" --help
		[ "$status" -eq 0 ] || { echo "$a --help via link: $status"; return 1; }
		[ -L "$DEST/usr/share/bash-completion/completions/$a" ]
		[ "$(readlink "$DEST/usr/share/man/man1/$a.1")" = "v6kit-$a.1" ]
	done
	# The pages as written, but the .TH line's date and version come from
	# debian/changelog (as `v6kit --version` does).
	version=$(mk -s version)
	for page in "$V6KIT_TOP"/man/*.1; do
		inst=$DEST/usr/share/man/man1/${page##*/}
		diff <(grep -v '^\.TH ' "$page") <(grep -v '^\.TH ' "$inst")
		grep -q "^\.TH .* \"v6kit $version\" \"User Commands\"\$" "$inst"
	done
	[ "$("$bin" --version)" = "v6kit $version" ]
	[ -f "$DEST/usr/share/man/man1/v6kit.1" ]
	cmp "$V6KIT_TOP/completions/v6kit.bash" "$DEST/usr/share/bash-completion/completions/v6kit"
	cmp "$V6KIT_TOP/completions/_v6kit" "$DEST/usr/share/zsh/site-functions/_v6kit"
	for u in "$V6KIT_TOP"/packaging/systemd/*.service; do
		cmp "$u" "$DEST/usr/lib/systemd/system/${u##*/}"
	done
	for e in "$V6KIT_TOP"/packaging/examples/*; do
		cmp "$e" "$DEST/usr/share/doc/v6kit/examples/${e##*/}"
	done
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
	# The units run the binary where PREFIX put it.
	grep -q '^ExecStart=/opt/v6/bin/v6kit dnsfrag ' "$DEST/opt/v6/lib/systemd/system/v6kit-dnsfrag@.service"
	[ -f "$DEST/opt/v6/etc/logrotate.d/v6kit" ]
	run mk uninstall DESTDIR="$DEST" PREFIX=/opt/v6
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	left=$(find "$DEST" ! -type d)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
