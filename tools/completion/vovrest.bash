# bash completion for vovrest (installed as share/bash-completion/completions/vovrest).
# Commands, their options, option values (formats, methods, files) and job actions; global
# options are offered before and after the command, as vovrest takes them.

# Whether an option takes the next word as its value.
_vovrest_takes_value()
{
    case $1 in
        *=*) return 1 ;;
        --url|--user|--password-file|--cacert|--timeout|--connect-timeout|--connections|-o|--output) return 0 ;;
        --token-cache|--config|-X|--method|-d|--data|-H|--header|--query|--select|--from|--where) return 0 ;;
        --order|--limit|--format|--file|--concurrency|--rundir|--jobname|--jobclass|--env|--resources) return 0 ;;
        --priority|--group|--logfile|--set|--poll|--tag) return 0 ;;
    esac
    return 1
}

_vovrest()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local global="--url --user --password-file --password-stdin --cacert --insecure --timeout
        --connect-timeout --connections -o --output --no-progress --token-cache --config -v --verbose
        --help --version"
    local commands="token logout get request query submit job"

    # The command (and the job action) given so far, skipping options and their values.
    local command="" action="" i word
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            --) break ;;
            -*) _vovrest_takes_value "$word" && ((i++)) ;;
            *)
                if [[ -z $command ]]; then
                    command=$word
                elif [[ $command == job && -z $action ]]; then
                    action=$word
                fi
                ;;
        esac
    done

    # The value of an option.
    case $prev in
        -o|--output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "table json csv csv-noheader" -- "$cur")); return ;;
        -X|--method) COMPREPLY=($(compgen -W "GET POST PUT PATCH DELETE" -- "$cur")); return ;;
        --password-file|--cacert|--config|--file|--logfile) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --token-cache|--rundir) COMPREPLY=($(compgen -d -- "$cur") $(compgen -W "off" -- "$cur")); return ;;
        -d|--data)
            if [[ $cur == @* ]]; then
                COMPREPLY=($(compgen -f -- "${cur#@}" | sed 's/^/@/'))
            fi
            return ;;
        --url|--user|--timeout|--connect-timeout|--connections|-H|--header|--query|--select|--from|--where|--order|--limit|--concurrency|--jobname|--jobclass|--env|--resources|--priority|--group|--set|--poll|--tag)
            return ;;
    esac

    local options=""
    case $command in
        token) options="--no-cache" ;;
        logout) options="--all" ;;
        get) options="" ;;
        request) options="-X --method -d --data -H --header --query" ;;
        query) options="--select --from --where --order --limit --format" ;;
        submit) options="--file --concurrency --summary --no-reconcile --tag --rundir --jobname --jobclass --env
            --resources --priority --group --logfile --set" ;;
        job) [[ $action == wait ]] && options="--poll" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$global $options" -- "$cur"))
    elif [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    elif [[ $command == job && -z $action ]]; then
        COMPREPLY=($(compgen -W "info stop suspend resume forget wait" -- "$cur"))
    elif [[ $command == submit ]]; then
        COMPREPLY=($(compgen -c -- "$cur"))
    fi
}
complete -F _vovrest vovrest
