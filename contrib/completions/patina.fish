# fish completion for patina, printed by "patina completion fish". Save it
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
