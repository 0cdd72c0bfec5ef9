# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for esimcli: the candidates come from the binary itself
# (esimcli --complete-args WORDS…), so they always match what it parses.

_esimcli()
{
	local cur cword
	local -a words candidates

	# keep "--fields=ICCID,STATE" and "a:b" in one word when bash-completion is there
	if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
		_get_comp_words_by_ref -n =: -w words -i cword cur
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
	fi

	mapfile -t candidates < <("${words[0]}" --complete-args "${words[@]:1:cword}" 2>/dev/null)
	COMPREPLY=("${candidates[@]}")

	# an option that takes a file name: the binary asks for the shell's file names
	if [[ ${candidates[0]} == "@files@" ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "${cur#*=}")
		return 0
	fi

	# readline replaces only the part after a '=' word break: drop what precedes it
	if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
		local prefix=${cur%"${cur##*=}"}
		COMPREPLY=("${COMPREPLY[@]#"$prefix"}")
	fi

	if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
		__ltrim_colon_completions "$cur"
	fi
	return 0
}

complete -F _esimcli esimcli
