package main

// The completion scripts. Each hands the words up to the cursor to
// `patina __complete` and shows what it prints: candidates (a tab, then a
// description, may follow each), and ":files" or ":dirs" to complete a
// path instead. They call the patina the line names, so a patina outside
// $PATH completes too.

const bashCompletion = `# bash completion for patina, printed by "patina completion bash".
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
`

const zshCompletion = `#compdef patina
# zsh completion for patina, printed by "patina completion zsh". Save it as
# _patina in a directory of $fpath, or load it with
# "source <(patina completion zsh)" after compinit.

_patina() {
	local line name files dirs
	local -a cands
	for line in "${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
		case $line in
		(:files) files=1 ;;
		(:dirs) dirs=1 ;;
		(*$'\t'*) name=${line%%$'\t'*}; cands+=("${name//:/\\:}:${line#*$'\t'}") ;;
		(?*) cands+=("${line//:/\\:}") ;;
		esac
	done
	(( $#cands )) && _describe patina cands
	[[ -n $files ]] && _files
	[[ -n $dirs ]] && _files -/
	return 0
}

if [[ $funcstack[1] == _patina ]]; then
	_patina "$@"
else
	compdef _patina patina
fi
`

const fishCompletion = `# fish completion for patina, printed by "patina completion fish". Save it
# as ~/.config/fish/completions/patina.fish, or load it with
# "patina completion fish | source".

function __patina_complete
    set -l words (commandline -opc)
    set -l cmd $words[1]
    set -e words[1]
    for line in (command $cmd __complete $words (commandline -ct) 2>/dev/null)
        switch $line
            case :files
                __fish_complete_path (commandline -ct)
            case :dirs
                __fish_complete_directories (commandline -ct)
            case '*'
                printf '%s\n' $line
        end
    end
end

complete -c patina -f -a '(__patina_complete)'
`
