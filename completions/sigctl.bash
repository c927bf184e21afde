#!/bin/bash

__sigctl_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__sigctl_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__sigctl_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__sigctl_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_sigctl() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(-h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __sigctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    serve|rooms|servers|sweep|tail|simulate|shell|help)
        # Offer subcommand argument completions
        "_sigctl_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'serve rooms servers sweep tail simulate shell help' -- "${cur}"))
        ;;
    esac
}

_sigctl_serve() {
    repeating_flags=()
    non_repeating_flags=(--cluster-mode --no-cluster-mode --demo --no-demo -h --help)
    repeating_options=()
    non_repeating_options=(--port --bind --node-id --redis-url --signal-routing --heartbeat-interval --heartbeat-ttl --jwt-secret --max-connections --rate-limit --rate-limit-burst --outbound-queue-limit --outbound-queue-bytes --ping-interval --shutdown-timeout --log-level --event-loop-threads --log-format --env-file)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--port')
        return
        ;;
    '--bind')
        return
        ;;
    '--node-id')
        return
        ;;
    '--redis-url')
        return
        ;;
    '--signal-routing')
        return
        ;;
    '--heartbeat-interval')
        return
        ;;
    '--heartbeat-ttl')
        return
        ;;
    '--jwt-secret')
        return
        ;;
    '--max-connections')
        return
        ;;
    '--rate-limit')
        return
        ;;
    '--rate-limit-burst')
        return
        ;;
    '--outbound-queue-limit')
        return
        ;;
    '--outbound-queue-bytes')
        return
        ;;
    '--ping-interval')
        return
        ;;
    '--shutdown-timeout')
        return
        ;;
    '--log-level')
        return
        ;;
    '--event-loop-threads')
        return
        ;;
    '--log-format')
        return
        ;;
    '--env-file')
        return
        ;;
    esac
}

_sigctl_rooms() {
    repeating_flags=()
    non_repeating_flags=(-h --help)
    repeating_options=()
    non_repeating_options=()
    __sigctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|inspect)
        # Offer subcommand argument completions
        "_sigctl_rooms_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list inspect' -- "${cur}"))
        ;;
    esac
}

_sigctl_rooms_list() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--redis-url --format --match)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--match')
        return
        ;;
    esac
}

_sigctl_rooms_inspect() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--redis-url --format)
    __sigctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    esac
}

_sigctl_servers() {
    repeating_flags=()
    non_repeating_flags=(-h --help)
    repeating_options=()
    non_repeating_options=()
    __sigctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|inspect)
        # Offer subcommand argument completions
        "_sigctl_servers_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list inspect' -- "${cur}"))
        ;;
    esac
}

_sigctl_servers_list() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--redis-url --format)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    esac
}

_sigctl_servers_inspect() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--redis-url --format)
    __sigctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    esac
}

_sigctl_sweep() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color --dry-run --yes --force --explain -h --help)
    repeating_options=()
    non_repeating_options=(--redis-url --format --node)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--node')
        return
        ;;
    esac
}

_sigctl_tail() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=(--type)
    non_repeating_options=(--redis-url --format --room --user --node --count)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--room')
        return
        ;;
    '--user')
        return
        ;;
    '--node')
        return
        ;;
    '--type')
        return
        ;;
    '--count')
        return
        ;;
    esac
}

_sigctl_simulate() {
    repeating_flags=()
    non_repeating_flags=(-h --help)
    repeating_options=()
    non_repeating_options=()
    __sigctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    relay|joins|storm|idle)
        # Offer subcommand argument completions
        "_sigctl_simulate_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'relay joins storm idle' -- "${cur}"))
        ;;
    esac
}

_sigctl_simulate_relay() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--format --url --answer-url --rate --duration --warmup --pairs --sdp-bytes)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--url')
        return
        ;;
    '--answer-url')
        return
        ;;
    '--rate')
        return
        ;;
    '--duration')
        return
        ;;
    '--warmup')
        return
        ;;
    '--pairs')
        return
        ;;
    '--sdp-bytes')
        return
        ;;
    esac
}

_sigctl_simulate_joins() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color --reuse-connections --close-after-join -h --help)
    repeating_options=(--url)
    non_repeating_options=(--format --clients --concurrency --room-size)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--url')
        return
        ;;
    '--clients')
        return
        ;;
    '--concurrency')
        return
        ;;
    '--room-size')
        return
        ;;
    esac
}

_sigctl_simulate_storm() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=(--url)
    non_repeating_options=(--format --clients --room-size)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--url')
        return
        ;;
    '--clients')
        return
        ;;
    '--room-size')
        return
        ;;
    esac
}

_sigctl_simulate_idle() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--format --url --connections --hold --room-size --concurrency --first-index)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--url')
        return
        ;;
    '--connections')
        return
        ;;
    '--hold')
        return
        ;;
    '--room-size')
        return
        ;;
    '--concurrency')
        return
        ;;
    '--first-index')
        return
        ;;
    esac
}

_sigctl_shell() {
    repeating_flags=()
    non_repeating_flags=(--quiet --no-color -h --help)
    repeating_options=()
    non_repeating_options=(--redis-url --format)
    __sigctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--redis-url')
        return
        ;;
    '--format')
        __sigctl_add_completions -W 'text'$'\n''json'
        return
        ;;
    esac
}

_sigctl_help() {
    :
}

complete -o filenames -F _sigctl sigctl
