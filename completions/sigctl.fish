function __sigctl_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sigctl_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __sigctl_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sigctl_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __sigctl_parse_tokens -S
    set -l unparsed_tokens (__sigctl_tokens -pc)
    switch $unparsed_tokens[1]
    case 'sigctl'
        __sigctl_parse_subcommand 0 'h/help'
        switch $unparsed_tokens[1]
        case 'serve'
            __sigctl_parse_subcommand 0 'port=' 'bind=' 'node-id=' 'cluster-mode' 'no-cluster-mode' 'redis-url=' 'signal-routing=' 'heartbeat-interval=' 'heartbeat-ttl=' 'jwt-secret=' 'max-connections=' 'rate-limit=' 'rate-limit-burst=' 'outbound-queue-limit=' 'outbound-queue-bytes=' 'ping-interval=' 'shutdown-timeout=' 'log-level=' 'event-loop-threads=' 'log-format=' 'demo' 'no-demo' 'env-file=' 'h/help'
        case 'rooms'
            __sigctl_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __sigctl_parse_subcommand 0 'redis-url=' 'format=' 'quiet' 'no-color' 'match=' 'h/help'
            case 'inspect'
                __sigctl_parse_subcommand 1 'redis-url=' 'format=' 'quiet' 'no-color' 'h/help'
            end
        case 'servers'
            __sigctl_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __sigctl_parse_subcommand 0 'redis-url=' 'format=' 'quiet' 'no-color' 'h/help'
            case 'inspect'
                __sigctl_parse_subcommand 1 'redis-url=' 'format=' 'quiet' 'no-color' 'h/help'
            end
        case 'sweep'
            __sigctl_parse_subcommand 0 'redis-url=' 'format=' 'quiet' 'no-color' 'dry-run' 'yes' 'node=' 'force' 'explain' 'h/help'
        case 'tail'
            __sigctl_parse_subcommand 0 'redis-url=' 'format=' 'quiet' 'no-color' 'room=' 'user=' 'node=' 'type=+' 'count=' 'h/help'
        case 'simulate'
            __sigctl_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'relay'
                __sigctl_parse_subcommand 0 'format=' 'quiet' 'no-color' 'url=' 'answer-url=' 'rate=' 'duration=' 'warmup=' 'pairs=' 'sdp-bytes=' 'h/help'
            case 'joins'
                __sigctl_parse_subcommand 0 'format=' 'quiet' 'no-color' 'url=+' 'clients=' 'concurrency=' 'room-size=' 'reuse-connections' 'close-after-join' 'h/help'
            case 'storm'
                __sigctl_parse_subcommand 0 'format=' 'quiet' 'no-color' 'url=+' 'clients=' 'room-size=' 'h/help'
            case 'idle'
                __sigctl_parse_subcommand 0 'format=' 'quiet' 'no-color' 'url=' 'connections=' 'hold=' 'room-size=' 'concurrency=' 'first-index=' 'h/help'
            end
        case 'shell'
            __sigctl_parse_subcommand 0 'redis-url=' 'format=' 'quiet' 'no-color' 'h/help'
        case 'help'
            __sigctl_parse_subcommand -r 1 
        end
    end
end

function __sigctl_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __sigctl_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __sigctl_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __sigctl_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__sigctl_tokens -p)
    if test -z "$(__sigctl_tokens -t)"
        set -l index (count (__sigctl_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'sigctl' -f
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'serve' -d 'Run a signaling node (WebSocket on /ws, /health, /metrics, the demo call page on /).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'rooms' -d 'List the cluster\'s rooms, or inspect one.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'servers' -d 'List the cluster\'s nodes, or inspect one.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'sweep' -d 'Remove dead nodes\' users from their rooms (race-safe with the nodes\' own sweeps).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'tail' -d 'Show live cluster traffic (PSUBSCRIBE cluster:*), one line per message.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'simulate' -d 'Drive synthetic clients against nodes and measure them.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'shell' -d 'Open an interactive shell (the default when sigctl runs without arguments).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" port' -l 'port' -d 'TCP port for HTTP and WebSocket (env PORT; default: 9000)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" bind' -l 'bind' -d 'Address to listen on (env BIND_ADDRESS; default: 0.0.0.0)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" node-id' -l 'node-id' -d 'This node\'s id: 1-64 of A-Z a-z 0-9 _ . - (env NODE_ID; default: host name plus a random suffix)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" cluster-mode' -l 'cluster-mode' -d 'Join the cluster through Redis (env CLUSTER_MODE; default: false)'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" no-cluster-mode' -l 'no-cluster-mode' -d 'Join the cluster through Redis (env CLUSTER_MODE; default: false)'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" redis-url' -l 'redis-url' -d 'Redis for cluster mode: redis://[[user]:password@]host[:port][/db], rediss:// (TLS), redis+sentinel://[[user]:password@]host1:26379,host2:26379/mastername[?db=N] (env REDIS_URL; default: redis://127.0.0.1:6379)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" signal-routing' -l 'signal-routing' -d 'Cross-node signal routing: direct or broadcast (env SIGNAL_ROUTING; default: direct)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" heartbeat-interval' -l 'heartbeat-interval' -d 'How often the node refreshes its heartbeat and sweeps dead nodes (10, 10s, 500ms) (env HEARTBEAT_INTERVAL; default: 10s)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" heartbeat-ttl' -l 'heartbeat-ttl' -d 'How long a heartbeat lives; longer than the interval (env HEARTBEAT_TTL; default: 30s)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" jwt-secret' -l 'jwt-secret' -d 'HS256 secret for Join tokens, at least 32 bytes; unset or empty turns authentication off (env JWT_SECRET; default: none); prefer the environment: flags show in ps' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" max-connections' -l 'max-connections' -d 'Most WebSocket connections at once; more get server_busy and close 1013 (env MAX_CONNECTIONS; default: 50000)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" rate-limit' -l 'rate-limit' -d 'Messages per second each connection may send, sustained (env RATE_LIMIT; default: 50)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" rate-limit-burst' -l 'rate-limit-burst' -d 'Messages a connection may send in a burst (env RATE_LIMIT_BURST; default: 100)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" outbound-queue-limit' -l 'outbound-queue-limit' -d 'Messages queued for a client that does not read before it is disconnected (env OUTBOUND_QUEUE_LIMIT; default: 256)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" outbound-queue-bytes' -l 'outbound-queue-bytes' -d 'Bytes queued for a client that does not read before it is disconnected (env OUTBOUND_QUEUE_BYTES; default: 2097152)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" ping-interval' -l 'ping-interval' -d 'WebSocket ping period; a client that does not answer is dropped; 0 turns pings off (env PING_INTERVAL; default: 30s)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" shutdown-timeout' -l 'shutdown-timeout' -d 'How long a graceful shutdown waits for clients before closing them (env SHUTDOWN_TIMEOUT; default: 5s)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" log-level' -l 'log-level' -d 'trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default: info)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" event-loop-threads' -l 'event-loop-threads' -d 'Threads for sockets and tasks; 1 avoids cross-thread hand-offs when nodes share a machine (env EVENT_LOOP_THREADS; default: number of CPU cores)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" log-format' -l 'log-format' -d 'text, or json for one JSON object per line (env LOG_FORMAT; default: text)' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" demo' -l 'demo' -d 'Serve the demo call page at /; --no-demo (DEMO=false) turns it off (env DEMO; default: true)'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" no-demo' -l 'no-demo' -d 'Serve the demo call page at /; --no-demo (DEMO=false) turns it off (env DEMO; default: true)'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" env-file' -l 'env-file' -d 'The .env file to read (default: .env in the working directory, if present).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl rooms" -eq 1' -fa 'list' -d 'List every room: id, participants, nodes (SCAN, sorted by room id).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl rooms" -eq 1' -fa 'inspect' -d 'Show one room\'s participants: username, node, node alive, connected_at; orphans flagged.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms list" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms list" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms list" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms list" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms list" match' -l 'match' -d 'Only rooms whose id matches this glob (e.g. \'team-*\').' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms inspect" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms inspect" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms inspect" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms inspect" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl rooms inspect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl servers" -eq 1' -fa 'list' -d 'List every node: alive or dead, heartbeat age and TTL, connections, rooms.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl servers" -eq 1' -fa 'inspect' -d 'Show one node and its connections.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers list" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers list" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers list" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers list" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers inspect" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers inspect" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers inspect" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers inspect" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl servers inspect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" dry-run' -l 'dry-run' -d 'Only report what a sweep would remove; change nothing.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" yes' -l 'yes' -d 'Do not ask for confirmation (required when stdin is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" node' -l 'node' -d 'Sweep only this node.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" force' -l 'force' -d 'With --node: sweep it even though its heartbeat is live (deletes the heartbeat first).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" explain' -l 'explain' -d 'Print the Redis commands a sweep runs, and run nothing; with --dry-run, those it would run on each dead node found.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl sweep" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" room' -l 'room' -d 'Only messages about this room.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" user' -l 'user' -d 'Only messages from, to or about this user id.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" node' -l 'node' -d 'Only messages from, to or about this node.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail"' -l 'type' -d 'Only this kind: UserJoined, UserLeft, WebRTCSignal, UserReplaced, ServerStarted, ServerStopping, ServerSwept (case-insensitive; repeatable).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" count' -l 'count' -d 'Exit after this many (matching) messages.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl tail" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl simulate" -eq 1' -fa 'relay' -d 'One-way relay latency: client pairs exchange Offers and Answers at a fixed rate.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl simulate" -eq 1' -fa 'joins' -d 'Joins per second: concurrent clients join rooms, spread round-robin over the given nodes.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl simulate" -eq 1' -fa 'storm' -d 'Reconnect storm: every client connects and joins at the same moment, as after a node dies.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_positional "sigctl simulate" -eq 1' -fa 'idle' -d 'Idle connections: open and join many, hold them, close them (for measuring node memory).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" format' -l 'format' -d 'Output format: text or json (one JSON object).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" quiet' -l 'quiet' -d 'Print only the report: no progress lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" url' -l 'url' -d 'WebSocket URL of the offerers\' node.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" answer-url' -l 'answer-url' -d 'WebSocket URL of the answerers\' node (default: --url).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" rate' -l 'rate' -d 'Offers per second, all pairs together (each is answered).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" duration' -l 'duration' -d 'How long to measure, after the warm-up (e.g. 20s, 500ms, 2m).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" warmup' -l 'warmup' -d 'Traffic before measuring starts.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" pairs' -l 'pairs' -d 'Client pairs.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" sdp-bytes' -l 'sdp-bytes' -d 'Size of each SDP.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate relay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" format' -l 'format' -d 'Output format: text or json (one JSON object).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" quiet' -l 'quiet' -d 'Print only the report: no progress lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins"' -l 'url' -d 'WebSocket URL of a node (repeatable: clients are spread round-robin).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" clients' -l 'clients' -d 'Joins to complete.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" concurrency' -l 'concurrency' -d 'Joins in flight at once.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" room-size' -l 'room-size' -d 'Members per room.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" reuse-connections' -l 'reuse-connections' -d 'Join, Leave and join again on a few open connections.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" close-after-join' -l 'close-after-join' -d 'Close each new connection after its RoomJoined.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate joins" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm" format' -l 'format' -d 'Output format: text or json (one JSON object).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm" quiet' -l 'quiet' -d 'Print only the report: no progress lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm"' -l 'url' -d 'WebSocket URL of a node (repeatable: clients are spread round-robin).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm" clients' -l 'clients' -d 'Clients that connect and join at once.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm" room-size' -l 'room-size' -d 'Members per room.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate storm" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" format' -l 'format' -d 'Output format: text or json (one JSON object).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" quiet' -l 'quiet' -d 'Print only the report: no progress lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" url' -l 'url' -d 'WebSocket URL of the node.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" connections' -l 'connections' -d 'Connections to open.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" hold' -l 'hold' -d 'How long to hold them once all are joined.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" room-size' -l 'room-size' -d 'Members per room (0: connect without joining).' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" concurrency' -l 'concurrency' -d 'Connections opened at once.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" first-index' -l 'first-index' -d 'Index of this process\'s first client, for room and user names.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl simulate idle" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl shell" redis-url' -l 'redis-url' -d 'Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.' -rfka ''
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl shell" format' -l 'format' -d 'Output format: text or json (json: one document for listings, one object per line for streams).' -rfka 'text json'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl shell" quiet' -l 'quiet' -d 'Print only results: no progress or summary lines.'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl shell" no-color' -l 'no-color' -d 'Never color the output (also when NO_COLOR is set or stdout is not a terminal).'
complete -c 'sigctl' -n '__sigctl_should_offer_completions_for_flags_or_options "sigctl shell" h help' -s 'h' -l 'help' -d 'Show help information.'
