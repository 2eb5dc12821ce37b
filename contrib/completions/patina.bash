# bash completion for patina, printed by "patina completion bash".
# Load it with "source <(patina completion bash)" in ~/.bashrc, or save it
# as ~/.local/share/bash-completion/completions/patina.

_patina() {
	local cur=${COMP_WORDS[COMP_CWORD]} line
	[[ $cur == = ]] && cur= # --flag=<TAB>: bash made "=" a word
	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		:files) compopt -o filenames 2>/dev/null; mapfile -t -O ${#COMPREPLY[@]} COMPREPLY < <(compgen -f -- "$cur") ;;
		:dirs) compopt -o filenames 2>/dev/null; mapfile -t -O ${#COMPREPLY[@]} COMPREPLY < <(compgen -d -- "$cur") ;;
		*)
			line=${line%%$'\t'*}
			[[ $cur != --*=* ]] && line=${line#--*=} # bash completes only what follows "="
			COMPREPLY+=("$line")
			;;
		esac
	done < <("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}

complete -F _patina patina
