function __ssetap_at_files
    set -l token (commandline -ct)
    string match -q -- '@*' $token; or return
    for path in (__fish_complete_path (string sub -s 2 -- $token))
        printf '@%s\n' $path
    end
end
complete -c ssetap -s H -l header -d 'Add a request header, \'Name: value\' (repeatable; overrides a default header of the same name), or @FILE: one header per line, as in curl (@- for stdin). Put API keys in a file: ps shows the command line' -r -f -a '(__ssetap_at_files)'
complete -c ssetap -s u -l user -d 'Basic auth. Without \':PASSWORD\', the password comes from $SSETAP_PASSWORD, else is asked for on the terminal; with no terminal that is an error (USER: sends an empty password). Not with --bearer (one Authorization header)' -r
complete -c ssetap -l bearer -d 'Send \'Authorization: Bearer TOKEN\'. Prefer $SSETAP_BEARER_TOKEN: a token given here is blanked from the command line only once read' -r
complete -c ssetap -l bearer-command -d 'Run CMD (with sh -c) and send its trimmed stdout as a bearer token; run it again when the server answers 401 (then send again at once, once), and before the token expires when it is a JWT with \'exp\'. For gcloud, az, vault, or curl to a token endpoint. A command that fails (or runs over 30s) is one line and the usual backoff' -r
complete -c ssetap -l bearer-refresh -d 'Also run --bearer-command this often, whatever the token says' -r
complete -c ssetap -l oauth2-token-url -d 'Get bearer tokens with OAuth2 client credentials (RFC 6749 4.4) from this token endpoint, cached until shortly before \'expires_in\' and fetched again on a 401. Needs --oauth2-client-id, and the secret in $SSETAP_OAUTH2_CLIENT_SECRET or --oauth2-client-secret-file' -r
complete -c ssetap -l oauth2-client-id -d 'The OAuth2 client ID' -r
complete -c ssetap -l oauth2-client-secret-file -d 'Read the OAuth2 client secret from this file (never from the command line; else it comes from $SSETAP_OAUTH2_CLIENT_SECRET)' -r -F
complete -c ssetap -l oauth2-scope -d 'The OAuth2 scope to ask for (space-separated, as the server names them)' -r
complete -c ssetap -s X -l request -d 'HTTP method, any token as in curl (default GET, or POST with a body)' -r
complete -c ssetap -s d -l data -d 'Request body, or @FILE to read it from a file (@- for stdin; at most 256 MiB); --data-binary is the same. A request with a body is sent once: the end of its stream ends the run (see --reconnect)' -r -f -a '(__ssetap_at_files)'
complete -c ssetap -l data-raw -d 'Request body taken as it is, a leading @ included, as curl\'s --data-raw (what a browser\'s "Copy as cURL" writes)' -r
complete -c ssetap -l json -d 'Request body as --data, sent with Content-Type: application/json unless -H sets one, as curl\'s --json (Accept stays text/event-stream)' -r -f -a '(__ssetap_at_files)'
complete -c ssetap -s x -l proxy -d 'Send every request through this HTTP(S) proxy, http://[USER:PASSWORD@]HOST:PORT, as curl\'s -x, instead of $HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY ($NO_PROXY applies to those only); \'\' for none' -r
complete -c ssetap -l resolve -d 'Connect to ADDR for HOST:PORT instead of looking HOST up, as curl\'s --resolve: the Host header and the TLS name stay HOST (a backend behind a load balancer, a name DNS does not have yet). Repeatable; HOST * stands for any host, and the first match wins' -r
complete -c ssetap -l cacert -d 'Trust the CA certificates in this PEM file instead of the system\'s; a self-signed server certificate in it is trusted as itself, as in curl (its name and dates are still checked)' -r -F
complete -c ssetap -l cert -d 'Present this client certificate (PEM; a chain, the client\'s own first) to a server that asks for one: mutual TLS. The file may also hold the private key; else give --cert-key. Read once, at start' -r -F
complete -c ssetap -l cert-key -d 'The private key of --cert (PEM: PKCS#8, RSA or EC; not encrypted)' -r -F
complete -c ssetap -l connect-timeout -d 'Give up connecting after this long (e.g. 10s, 500ms; a bare number is seconds); 0 turns it off' -r
complete -c ssetap -l idle-timeout -d 'Reconnect when no byte at all (comments included) arrived for this long, or none of the request could be sent; 0 turns it off' -r
complete -c ssetap -l retry -d 'Reconnection time; a server\'s \'retry:\' field replaces it. No wait is shorter than 100ms, and the floor doubles with consecutive failures' -r
complete -c ssetap -l retry-max -d 'Upper bound of the backoff, which doubles (with jitter) on consecutive failures. A server\'s \'retry:\' or Retry-After may ask for longer, up to 1h or this, whichever is longer (a longer wait is cut, with a warning)' -r
complete -c ssetap -l max-retries -d 'Reconnect at most N times (N+1 requests in all), then exit 1. Default: unlimited; 0 exits at the first failure, as curl does' -r
complete -c ssetap -l last-event-id -d 'Send this Last-Event-ID on the first request (overrides --state-file)' -r
complete -c ssetap -l state-file -d 'Keep the last event ID here across runs: read at start, replaced atomically once the events up to it were written (or acknowledged by Kafka). One run per file: a second one exits 1 (the lock is PATH.lock)' -r -F
complete -c ssetap -l state-topic -d 'Keep the resume point in this Kafka topic instead of a file (with -b): read at start, written once Kafka acknowledged the events up to it. Create it with 1 partition and cleanup.policy=compact' -r
complete -c ssetap -l state-key -d 'This stream\'s key in --state-topic [default: the URL without credentials and the -t template]' -r
complete -c ssetap -s f -l format -d 'Output format [default: json; data with --brokers]' -r -f -a "json\t'One JSON object per line: {\"event\":…,\"id\":…,\"data\":…}'
data\t'The data field alone, one event per line (multi-line data stays multi-line)'
sse\t'Canonical SSE text, which ssetap reads back unchanged'"
complete -c ssetap -l color -d 'Colour json output like jq. auto: only when stdout is a terminal (TERM set and not dumb) and NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c ssetap -s e -l event -d 'Only events of this type (repeatable or comma-separated; the default type is \'message\')' -r
complete -c ssetap -l grep -d 'Only events whose data matches this regular expression' -r
complete -c ssetap -l dedup -d 'Drop an event whose own id field matches one of the last N IDs seen (replays after a reconnect). The IDs kept take at most 64 MiB (about 500,000 UUIDs), the oldest forgotten first. Off by default' -r
complete -c ssetap -l jq -d 'Run this jq program (jaq, embedded) on each event that passed -e, --grep and --dedup. Its input is {"event","id","data"} (plus "time" with --timestamp), data parsed as JSON when it is JSON; each output is one record (compact JSON; with -f data, and in Kafka, a string is written raw; with -j, always); no output drops the event (counted as filtered, in --stats and ssetap_filtered_total, as -e and --grep count theirs). An event the program fails on is skipped (counted as jq_errors), or sent to --dead-letter-topic' -r
complete -c ssetap -s n -l max-events -d 'Exit 0 after N events (counted after filtering)' -r
complete -c ssetap -l until -d 'End the run (exit 0, everything before it written or delivered, state saved) at the first event for which this jq condition is true, e.g. \'.data == "[DONE]"\' or \'.event == "message_stop"\'. It sees every event before -e, --grep, --dedup and --jq, as --jq\'s input; the matching event is not written, and the resume point moves past it. An event it fails on does not match (the first failure is a warning)' -r
complete -c ssetap -l fail-on -d 'Fail the run (exit 1, everything before it written or delivered, state saved) at the first event for which this jq condition is true, showing its type and data: an error a server sends inside the stream, e.g. \'.event == "error"\' (Anthropic) or \'.data | objects | has("error")\' (OpenAI). It sees every event, as --until does and before it; the event is not written, and the resume point stays before it' -r
complete -c ssetap -l duration -d 'Exit 0 after this long (e.g. 10m, 1h30m); 0 turns it off, as in timeout(1)' -r
complete -c ssetap -l max-event-size -d 'Drop (with a warning) events whose data is larger than this (e.g. 16MiB, 512KiB, 1000000), or whose id or event line is larger than this or 1MiB, whichever is less' -r
complete -c ssetap -s b -l brokers -d 'Send events to these Kafka brokers instead of stdout' -r
complete -c ssetap -s t -l topic -d 'Kafka topic; \'{event}\' in it is replaced by each event\'s type' -r
complete -c ssetap -l key -d 'Record key: none, id, event, or a JSON pointer (/a/b) into the data' -r
complete -c ssetap -l kafka-property -d 'Set a librdkafka property (repeatable), e.g. compression.type=zstd' -r
complete -c ssetap -s F -l kafka-config -d 'Read librdkafka properties from a file (key=value lines, # comments), like kcat -F. Put secrets here, in a file only you can read' -r -F
complete -c ssetap -l flush-timeout -d 'At exit, wait this long for Kafka to acknowledge what is in flight; while its queue is full, give up (exit 1) when Kafka has acknowledged nothing for this long [default: 30s]' -r
complete -c ssetap -l dead-letter-topic -d 'Send an event Kafka refuses for good (too large, an illegal or missing routed topic, invalid or against policy) to this topic instead of failing the run; headers ssetap.error and ssetap.topic say why and where' -r
complete -c ssetap -l stats-interval -d 'Also print the --stats JSON line every DURATION (e.g. 1m; at least 1s), terminal or not; implies --stats' -r
complete -c ssetap -l log-format -d 'How stderr lines look: text, or json (one {"time","level","msg"} object per line, secrets redacted; a --stats line is {"msg":"stats","stats":{…}})' -r -f -a "text\t''
json\t''"
complete -c ssetap -l metrics -d 'Serve Prometheus metrics at http://ADDR/metrics (ADDR: 127.0.0.1:9464, or :9464 for every interface), and GET /healthz: 200 while connected or reconnecting for less than twice --retry-max, else 503 with the reason; 503 too when the main loop has not moved for a minute (past --flush-timeout with Kafka), stuck on output nobody reads. Counters: ssetap_events_total, ssetap_bytes_total, ssetap_comments_total, ssetap_filtered_total, ssetap_dropped_total, ssetap_duplicates_total, ssetap_jq_errors_total, ssetap_reconnects_total, and with Kafka ssetap_kafka_delivered_total, ssetap_kafka_failed_total (and ssetap_dead_lettered_total with --dead-letter-topic). Gauges: ssetap_connected (0/1), ssetap_kafka_in_flight (Kafka), ssetap_last_event_timestamp_seconds (lag = now minus this), ssetap_retry_seconds, ssetap_build_info{version}. The figures are at most a second old and those at exit equal --stats' -r
complete -c ssetap -l generate -d 'Print the man page (man) or a shell completion script (complete-bash, complete-zsh, complete-fish) to stdout and exit, so that an install needs no source tree: ssetap --generate man > ssetap.1' -r -f -a "man\t''
complete-bash\t''
complete-zsh\t''
complete-fish\t''"
complete -c ssetap -l compressed -d 'Accepted as curl\'s flag, which a browser\'s "Copy as cURL" may write: gzip is asked for already'
complete -c ssetap -l no-compression -d 'Do not ask for gzip (no Accept-Encoding header). Use it when a server that compresses without flushing delays events'
complete -c ssetap -l ignore-content-type -d 'Accept a 200 response whatever its Content-Type (e.g. a .sse file on a static server), with a warning. Default: only text/event-stream'
complete -c ssetap -s k -l insecure -d 'Do not verify TLS certificates (warns on stderr)'
complete -c ssetap -l no-reconnect -d 'Exit when the stream ends instead of reconnecting'
complete -c ssetap -l reconnect -d 'Send a request with a body (-d) again when its stream ends or is lost, with Last-Event-ID, as for GET (e.g. long-lived POST or REPORT subscriptions). Without it such a request is sent once'
complete -c ssetap -l json-data -d 'Embed data that parses as JSON as JSON instead of a string (json)'
complete -c ssetap -l timestamp -d 'Add "time": the receive time, RFC 3339 UTC with milliseconds (json)'
complete -c ssetap -l comments -d 'Also output comment lines (json: {"comment":…}); stdout only'
complete -c ssetap -s j -l join-output -d 'Write each output with no newline after it, as jq -j: with --jq a string is written raw (-j implies jq\'s -r), anything else as compact JSON; -f data writes the data alone. For LLM token streams. Stdout only, not with -f sse or --comments'
complete -c ssetap -s q -l quiet -d 'No connection messages on stderr (warnings and errors still appear)'
complete -c ssetap -s v -l verbose -d 'Also show request and response headers (credentials redacted)'
complete -c ssetap -l stats -d 'Print a JSON summary to stderr at exit, and a live status line when stderr is a terminal'
complete -c ssetap -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ssetap -s V -l version -d 'Print version'
