# bash completion for keycustody. The program completes itself: System.CommandLine's [suggest:POSITION] directive
# answers with the commands, options and values valid at the cursor, one per line (what dotnet-suggest would ask it;
# dotnet-suggest is not needed). Where it suggests nothing (a FILE argument), bash completes file names.
_keycustody() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local suggestions
    suggestions=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return 0
    # Windows spellings of help (/?, /h) and -? are left out of a Linux shell's list.
    suggestions=$(printf '%s\n' "$suggestions" | grep -v -e '^/' -e '^-?$')
    COMPREPLY=($(compgen -W "$suggestions" -- "$cur"))
    if ((${#COMPREPLY[@]} == 0)); then
        compopt -o default 2>/dev/null
    fi
    return 0
}
complete -F _keycustody keycustody
