# v6kit.bash - bash completion for v6kit and its applet links (checksum,
# ra-sniff, ...).  Driven by the binary: applet names from `v6kit --list`,
# long options from `v6kit --options APPLET` (a trailing "=" takes a value),
# option values from `v6kit --values APPLET` ("--OPT<TAB>WORDS": a closed set
# of words, or :interface, :file, :user).
# Installed once as .../completions/v6kit and symlinked per applet name, so
# bash-completion's loader finds it under either name.

# The v6kit binary behind the command word $1 (v6kit itself or an applet link).
_v6kit_bin()
{
	local w=$1 p
	# shellcheck disable=SC2088 # a literal "~/" typed on the command line
	[[ $w == "~/"* ]] && w=$HOME/${w#"~/"}
	if [[ ${w##*/} == v6kit ]]; then
		[[ $w == */* ]] && { printf '%s\n' "$w"; return; }
		type -P v6kit || printf 'v6kit\n'
		return
	fi
	if [[ $w == */* ]]; then p=$w; else p=$(type -P "$w"); fi
	if [[ -n $p ]] && p=$(readlink -f -- "$p") && [[ ${p##*/} == v6kit ]]; then
		printf '%s\n' "$p"
		return
	fi
	type -P v6kit || printf 'v6kit\n'
}

_v6kit_reply()	# $1 = current word, $2 = candidates, one a line
{
	local IFS=$'\n'
	mapfile -t COMPREPLY < <(compgen -W "$2" -- "$1")
}

_v6kit_interfaces()
{
	if [[ -d /sys/class/net ]]; then
		ls /sys/class/net
	else
		ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	fi
}

# Complete $1 as a value of the kind or word set $2 (a --values entry).
_v6kit_value()
{
	case $2 in
	:interface) _v6kit_reply "$1" "$(_v6kit_interfaces)" ;;
	:user) mapfile -t COMPREPLY < <(compgen -u -- "$1") ;;
	:file)
		mapfile -t COMPREPLY < <(compgen -f -- "$1")
		compopt -o filenames 2>/dev/null
		;;
	*) _v6kit_reply "$1" "${2// /$'\n'}" ;;
	esac
}

_v6kit()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd bin applet first=1
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# COMP_WORDBREAKS splits "--write=FILE" into "--write" "=" "FILE".
	if [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=''
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	cmd=${COMP_WORDS[0]##*/}
	bin=$(_v6kit_bin "${COMP_WORDS[0]}")
	COMPREPLY=()

	if [[ $cmd == v6kit ]]; then
		if ((COMP_CWORD == 1)); then
			_v6kit_reply "$cur" "$("$bin" --list 2>/dev/null | cut -f1
				printf '%s\n' help shell --list --version --help --options --values)"
			return 0
		fi
		applet=${COMP_WORDS[1]}
		case $applet in
		help | --options | --values)
			((COMP_CWORD == 2)) && _v6kit_reply "$cur" "$("$bin" --list 2>/dev/null | cut -f1)"
			return 0
			;;
		shell)
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			compopt -o filenames 2>/dev/null
			return 0
			;;
		-*) return 0 ;;
		esac
		first=2
	else
		applet=$cmd
	fi

	# The value of the option before: what `v6kit --values APPLET` says it
	# takes; nothing for other options that take a value (a number, an
	# address: no list to offer).
	if [[ $prev == -* ]] && ((COMP_CWORD - 1 >= first)); then
		local opt vals
		while IFS=$'\t' read -r opt vals; do
			if [[ $opt == "$prev" ]]; then
				_v6kit_value "$cur" "$vals"
				return 0
			fi
		done < <("$bin" --values "$applet" 2>/dev/null)
		[[ $prev == --* ]] && grep -qxF -- "$prev=" < <("$bin" --options "$applet" 2>/dev/null) &&
			return 0
	fi
	if [[ $cur == -* ]] && ((COMP_CWORD >= first)); then
		_v6kit_reply "$cur" "$("$bin" --options "$applet" 2>/dev/null)"
		# "--write=" wants its value right after the "=".
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		return 0
	fi
	# Plain arguments: file names.
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	compopt -o filenames 2>/dev/null
	return 0
}

# Register for v6kit, every applet it knows, and the name this file was
# loaded under (bash-completion loads .../completions/APPLET on demand).
_v6kit_register()
{
	local names=(v6kit) self=${BASH_SOURCE[1]##*/}
	command -v v6kit >/dev/null 2>&1 && mapfile -t -O 1 names < <(v6kit --list 2>/dev/null | cut -f1)
	[[ -n $self && $self != v6kit && $self != v6kit.bash ]] && names+=("$self")
	complete -F _v6kit "${names[@]}"
}
_v6kit_register
unset -f _v6kit_register
