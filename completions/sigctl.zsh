#compdef sigctl

__sigctl_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__sigctl_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __sigctl_complete "${completions[@]:0:-1}"
    fi
}

__sigctl_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_sigctl() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'serve:Run a signaling node (WebSocket on /ws, /health, /metrics, the demo call page on /).'
            'rooms:List the cluster'\''s rooms, or inspect one.'
            'servers:List the cluster'\''s nodes, or inspect one.'
            'sweep:Remove dead nodes'\'' users from their rooms (race-safe with the nodes'\'' own sweeps).'
            'tail:Show live cluster traffic (PSUBSCRIBE cluster:*), one line per message.'
            'simulate:Drive synthetic clients against nodes and measure them.'
            'shell:Open an interactive shell (the default when sigctl runs without arguments).'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        serve|rooms|servers|sweep|tail|simulate|shell|help)
            "_sigctl_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_sigctl_serve() {
    local -i ret=1
    local -ar arg_specs=(
        '--port[TCP port for HTTP and WebSocket (env PORT; default\: 9000)]:port:'
        '--bind[Address to listen on (env BIND_ADDRESS; default\: 0.0.0.0)]:address:'
        '--node-id[This node'\''s id\: 1-64 of A-Z a-z 0-9 _ . - (env NODE_ID; default\: host name plus a random suffix)]:id:'
        '--cluster-mode[Join the cluster through Redis (env CLUSTER_MODE; default\: false)]'
        '--no-cluster-mode[Join the cluster through Redis (env CLUSTER_MODE; default\: false)]'
        '--redis-url[Redis for cluster mode\: redis\://\[\[user\]\:password@\]host\[\:port\]\[/db\], rediss\:// (TLS), redis+sentinel\://\[\[user\]\:password@\]host1\:26379,host2\:26379/mastername\[?db=N\] (env REDIS_URL; default\: redis\://127.0.0.1\:6379)]:url:'
        '--signal-routing[Cross-node signal routing\: direct or broadcast (env SIGNAL_ROUTING; default\: direct)]:routing:'
        '--heartbeat-interval[How often the node refreshes its heartbeat and sweeps dead nodes (10, 10s, 500ms) (env HEARTBEAT_INTERVAL; default\: 10s)]:duration:'
        '--heartbeat-ttl[How long a heartbeat lives; longer than the interval (env HEARTBEAT_TTL; default\: 30s)]:duration:'
        '--jwt-secret[HS256 secret for Join tokens, at least 32 bytes; unset or empty turns authentication off (env JWT_SECRET; default\: none); prefer the environment\: flags show in ps]:secret:'
        '--max-connections[Most WebSocket connections at once; more get server_busy and close 1013 (env MAX_CONNECTIONS; default\: 50000)]:n:'
        '--rate-limit[Messages per second each connection may send, sustained (env RATE_LIMIT; default\: 50)]:per-second:'
        '--rate-limit-burst[Messages a connection may send in a burst (env RATE_LIMIT_BURST; default\: 100)]:n:'
        '--outbound-queue-limit[Messages queued for a client that does not read before it is disconnected (env OUTBOUND_QUEUE_LIMIT; default\: 256)]:n:'
        '--outbound-queue-bytes[Bytes queued for a client that does not read before it is disconnected (env OUTBOUND_QUEUE_BYTES; default\: 2097152)]:bytes:'
        '--ping-interval[WebSocket ping period; a client that does not answer is dropped; 0 turns pings off (env PING_INTERVAL; default\: 30s)]:duration:'
        '--shutdown-timeout[How long a graceful shutdown waits for clients before closing them (env SHUTDOWN_TIMEOUT; default\: 5s)]:duration:'
        '--log-level[trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default\: info)]:level:'
        '--event-loop-threads[Threads for sockets and tasks; 1 avoids cross-thread hand-offs when nodes share a machine (env EVENT_LOOP_THREADS; default\: number of CPU cores)]:count:'
        '--log-format[text, or json for one JSON object per line (env LOG_FORMAT; default\: text)]:format:'
        '--demo[Serve the demo call page at /; --no-demo (DEMO=false) turns it off (env DEMO; default\: true)]'
        '--no-demo[Serve the demo call page at /; --no-demo (DEMO=false) turns it off (env DEMO; default\: true)]'
        '--env-file[The .env file to read (default\: .env in the working directory, if present).]:path:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_rooms() {
    local -i ret=1
    local -ar arg_specs=(
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'list:List every room: id, participants, nodes (SCAN, sorted by room id).'
            'inspect:Show one room'\''s participants: username, node, node alive, connected_at; orphans flagged.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        list|inspect)
            "_sigctl_rooms_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_sigctl_rooms_list() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '--match[Only rooms whose id matches this glob (e.g. '\''team-*'\'').]:pattern:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_rooms_inspect() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        ':room-id:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_servers() {
    local -i ret=1
    local -ar arg_specs=(
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'list:List every node: alive or dead, heartbeat age and TTL, connections, rooms.'
            'inspect:Show one node and its connections.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        list|inspect)
            "_sigctl_servers_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_sigctl_servers_list() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_servers_inspect() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        ':node-id:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_sweep() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '--dry-run[Only report what a sweep would remove; change nothing.]'
        '--yes[Do not ask for confirmation (required when stdin is not a terminal).]'
        '--node[Sweep only this node.]:node-id:'
        '--force[With --node\: sweep it even though its heartbeat is live (deletes the heartbeat first).]'
        '--explain[Print the Redis commands a sweep runs, and run nothing; with --dry-run, those it would run on each dead node found.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_tail() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '--room[Only messages about this room.]:room-id:'
        '--user[Only messages from, to or about this user id.]:user-id:'
        '--node[Only messages from, to or about this node.]:node-id:'
        '*--type[Only this kind\: UserJoined, UserLeft, WebRTCSignal, UserReplaced, ServerStarted, ServerStopping, ServerSwept (case-insensitive; repeatable).]:kind:'
        '--count[Exit after this many (matching) messages.]:n:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_simulate() {
    local -i ret=1
    local -ar arg_specs=(
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'relay:One-way relay latency: client pairs exchange Offers and Answers at a fixed rate.'
            'joins:Joins per second: concurrent clients join rooms, spread round-robin over the given nodes.'
            'storm:Reconnect storm: every client connects and joins at the same moment, as after a node dies.'
            'idle:Idle connections: open and join many, hold them, close them (for measuring node memory).'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        relay|joins|storm|idle)
            "_sigctl_simulate_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_sigctl_simulate_relay() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--format[Output format\: text or json (one JSON object).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only the report\: no progress lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '--url[WebSocket URL of the offerers'\'' node.]:url:'
        '--answer-url[WebSocket URL of the answerers'\'' node (default\: --url).]:url:'
        '--rate[Offers per second, all pairs together (each is answered).]:per-second:'
        '--duration[How long to measure, after the warm-up (e.g. 20s, 500ms, 2m).]:duration:'
        '--warmup[Traffic before measuring starts.]:duration:'
        '--pairs[Client pairs.]:n:'
        '--sdp-bytes[Size of each SDP.]:bytes:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_simulate_joins() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--format[Output format\: text or json (one JSON object).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only the report\: no progress lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '*--url[WebSocket URL of a node (repeatable\: clients are spread round-robin).]:url:'
        '--clients[Joins to complete.]:n:'
        '--concurrency[Joins in flight at once.]:n:'
        '--room-size[Members per room.]:n:'
        '--reuse-connections[Join, Leave and join again on a few open connections.]'
        '--close-after-join[Close each new connection after its RoomJoined.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_simulate_storm() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--format[Output format\: text or json (one JSON object).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only the report\: no progress lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '*--url[WebSocket URL of a node (repeatable\: clients are spread round-robin).]:url:'
        '--clients[Clients that connect and join at once.]:n:'
        '--room-size[Members per room.]:n:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_simulate_idle() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--format[Output format\: text or json (one JSON object).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only the report\: no progress lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '--url[WebSocket URL of the node.]:url:'
        '--connections[Connections to open.]:n:'
        '--hold[How long to hold them once all are joined.]:duration:'
        '--room-size[Members per room (0\: connect without joining).]:n:'
        '--concurrency[Connections opened at once.]:n:'
        '--first-index[Index of this process'\''s first client, for room and user names.]:n:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_shell() {
    local -i ret=1
    local -ar ___format=('text' 'json')
    local -ar arg_specs=(
        '--redis-url[Redis URL of the cluster (env REDIS_URL, then .env; default redis\://127.0.0.1\:6379)\: redis\://, rediss\:// (TLS), redis+sentinel\://host1\:26379,host2\:26379/mastername, unix\:///path.]:url:'
        '--format[Output format\: text or json (json\: one document for listings, one object per line for streams).]:format:{__sigctl_complete "${___format[@]}"}'
        '--quiet[Print only results\: no progress or summary lines.]'
        '--no-color[Never color the output (also when NO_COLOR is set or stdout is not a terminal).]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sigctl_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _sigctl ]]; then
    _sigctl "${@}"
else
    compdef _sigctl sigctl
fi
