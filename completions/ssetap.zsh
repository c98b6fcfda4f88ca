#compdef ssetap

autoload -U is-at-least

_ssetap() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'*-H+[Add a request header, '\''Name\: value'\'' (repeatable; overrides a default header of the same name), or @FILE\: one header per line, as in curl (@- for stdin). Put API keys in a file\: ps shows the command line]:HEADER:{compset -P @ && _files}' \
'*--header=[Add a request header, '\''Name\: value'\'' (repeatable; overrides a default header of the same name), or @FILE\: one header per line, as in curl (@- for stdin). Put API keys in a file\: ps shows the command line]:HEADER:{compset -P @ && _files}' \
'(--bearer)-u+[Basic auth. Without '\''\:PASSWORD'\'', the password comes from \$SSETAP_PASSWORD, else is asked for on the terminal; with no terminal that is an error (USER\: sends an empty password). Not with --bearer (one Authorization header)]:USER[\:PASSWORD]:_default' \
'(--bearer)--user=[Basic auth. Without '\''\:PASSWORD'\'', the password comes from \$SSETAP_PASSWORD, else is asked for on the terminal; with no terminal that is an error (USER\: sends an empty password). Not with --bearer (one Authorization header)]:USER[\:PASSWORD]:_default' \
'--bearer=[Send '\''Authorization\: Bearer TOKEN'\''. Prefer \$SSETAP_BEARER_TOKEN\: a token given here is blanked from the command line only once read]:TOKEN:_default' \
'(-u --user --bearer --oauth2-token-url)--bearer-command=[Run CMD (with sh -c) and send its trimmed stdout as a bearer token; run it again when the server answers 401 (then send again at once, once), and before the token expires when it is a JWT with '\''exp'\''. For gcloud, az, vault, or curl to a token endpoint. A command that fails (or runs over 30s) is one line and the usual backoff]:CMD:_default' \
'--bearer-refresh=[Also run --bearer-command this often, whatever the token says]:DURATION:_default' \
'(-u --user --bearer)--oauth2-token-url=[Get bearer tokens with OAuth2 client credentials (RFC 6749 4.4) from this token endpoint, cached until shortly before '\''expires_in'\'' and fetched again on a 401. Needs --oauth2-client-id, and the secret in \$SSETAP_OAUTH2_CLIENT_SECRET or --oauth2-client-secret-file]:URL:_default' \
'--oauth2-client-id=[The OAuth2 client ID]:ID:_default' \
'--oauth2-client-secret-file=[Read the OAuth2 client secret from this file (never from the command line; else it comes from \$SSETAP_OAUTH2_CLIENT_SECRET)]:FILE:_files' \
'--oauth2-scope=[The OAuth2 scope to ask for (space-separated, as the server names them)]:SCOPE:_default' \
'-X+[HTTP method, any token as in curl (default GET, or POST with a body)]:METHOD:_default' \
'--request=[HTTP method, any token as in curl (default GET, or POST with a body)]:METHOD:_default' \
'-d+[Request body, or @FILE to read it from a file (@- for stdin; at most 256 MiB); --data-binary is the same. A request with a body is sent once\: the end of its stream ends the run (see --reconnect)]:DATA|@FILE:{compset -P @ && _files}' \
'--data=[Request body, or @FILE to read it from a file (@- for stdin; at most 256 MiB); --data-binary is the same. A request with a body is sent once\: the end of its stream ends the run (see --reconnect)]:DATA|@FILE:{compset -P @ && _files}' \
'--data-raw=[Request body taken as it is, a leading @ included, as curl'\''s --data-raw (what a browser'\''s "Copy as cURL" writes)]:DATA:_default' \
'--json=[Request body as --data, sent with Content-Type\: application/json unless -H sets one, as curl'\''s --json (Accept stays text/event-stream)]:DATA|@FILE:{compset -P @ && _files}' \
'-x+[Send every request through this HTTP(S) proxy, http\://\[USER\:PASSWORD@\]HOST\:PORT, as curl'\''s -x, instead of \$HTTPS_PROXY, \$HTTP_PROXY or \$ALL_PROXY (\$NO_PROXY applies to those only); '\'''\'' for none]:URL:_default' \
'--proxy=[Send every request through this HTTP(S) proxy, http\://\[USER\:PASSWORD@\]HOST\:PORT, as curl'\''s -x, instead of \$HTTPS_PROXY, \$HTTP_PROXY or \$ALL_PROXY (\$NO_PROXY applies to those only); '\'''\'' for none]:URL:_default' \
'*--resolve=[Connect to ADDR for HOST\:PORT instead of looking HOST up, as curl'\''s --resolve\: the Host header and the TLS name stay HOST (a backend behind a load balancer, a name DNS does not have yet). Repeatable; HOST * stands for any host, and the first match wins]:HOST\:PORT\:ADDR[,ADDR...]:_default' \
'--cacert=[Trust the CA certificates in this PEM file instead of the system'\''s; a self-signed server certificate in it is trusted as itself, as in curl (its name and dates are still checked)]:FILE:_files' \
'--cert=[Present this client certificate (PEM; a chain, the client'\''s own first) to a server that asks for one\: mutual TLS. The file may also hold the private key; else give --cert-key. Read once, at start]:FILE:_files' \
'--cert-key=[The private key of --cert (PEM\: PKCS#8, RSA or EC; not encrypted)]:FILE:_files' \
'--connect-timeout=[Give up connecting after this long (e.g. 10s, 500ms; a bare number is seconds); 0 turns it off]:DURATION:_default' \
'--idle-timeout=[Reconnect when no byte at all (comments included) arrived for this long, or none of the request could be sent; 0 turns it off]:DURATION:_default' \
'--retry=[Reconnection time; a server'\''s '\''retry\:'\'' field replaces it. No wait is shorter than 100ms, and the floor doubles with consecutive failures]:DURATION:_default' \
'--retry-max=[Upper bound of the backoff, which doubles (with jitter) on consecutive failures. A server'\''s '\''retry\:'\'' or Retry-After may ask for longer, up to 1h or this, whichever is longer (a longer wait is cut, with a warning)]:DURATION:_default' \
'--max-retries=[Reconnect at most N times (N+1 requests in all), then exit 1. Default\: unlimited; 0 exits at the first failure, as curl does]:N:_default' \
'--last-event-id=[Send this Last-Event-ID on the first request (overrides --state-file)]:ID:_default' \
'--state-file=[Keep the last event ID here across runs\: read at start, replaced atomically once the events up to it were written (or acknowledged by Kafka). One run per file\: a second one exits 1 (the lock is PATH.lock)]:PATH:_files' \
'(--state-file)--state-topic=[Keep the resume point in this Kafka topic instead of a file (with -b)\: read at start, written once Kafka acknowledged the events up to it. Create it with 1 partition and cleanup.policy=compact]:TOPIC:_default' \
'--state-key=[This stream'\''s key in --state-topic \[default\: the URL without credentials and the -t template\]]:KEY:_default' \
'-f+[Output format \[default\: json; data with --brokers\]]:FORMAT:((json\:"One JSON object per line\: {\"event\"\:…,\"id\"\:…,\"data\"\:…}"
data\:"The data field alone, one event per line (multi-line data stays multi-line)"
sse\:"Canonical SSE text, which ssetap reads back unchanged"))' \
'--format=[Output format \[default\: json; data with --brokers\]]:FORMAT:((json\:"One JSON object per line\: {\"event\"\:…,\"id\"\:…,\"data\"\:…}"
data\:"The data field alone, one event per line (multi-line data stays multi-line)"
sse\:"Canonical SSE text, which ssetap reads back unchanged"))' \
'(-b --brokers -t --topic -F --kafka-config --kafka-property)--color=[Colour json output like jq. auto\: only when stdout is a terminal (TERM set and not dumb) and NO_COLOR is unset]:WHEN:(auto always never)' \
'*-e+[Only events of this type (repeatable or comma-separated; the default type is '\''message'\'')]:TYPE:_default' \
'*--event=[Only events of this type (repeatable or comma-separated; the default type is '\''message'\'')]:TYPE:_default' \
'--grep=[Only events whose data matches this regular expression]:REGEX:_default' \
'--dedup=[Drop an event whose own id field matches one of the last N IDs seen (replays after a reconnect). The IDs kept take at most 64 MiB (about 500,000 UUIDs), the oldest forgotten first. Off by default]:N:_default' \
'--jq=[Run this jq program (jaq, embedded) on each event that passed -e, --grep and --dedup. Its input is {"event","id","data"} (plus "time" with --timestamp), data parsed as JSON when it is JSON; each output is one record (compact JSON; with -f data, and in Kafka, a string is written raw; with -j, always); no output drops the event (counted as filtered, in --stats and ssetap_filtered_total, as -e and --grep count theirs). An event the program fails on is skipped (counted as jq_errors), or sent to --dead-letter-topic]:FILTER:_default' \
'-n+[Exit 0 after N events (counted after filtering)]:N:_default' \
'--max-events=[Exit 0 after N events (counted after filtering)]:N:_default' \
'--until=[End the run (exit 0, everything before it written or delivered, state saved) at the first event for which this jq condition is true, e.g. '\''.data == "\[DONE\]"'\'' or '\''.event == "message_stop"'\''. It sees every event before -e, --grep, --dedup and --jq, as --jq'\''s input; the matching event is not written, and the resume point moves past it. An event it fails on does not match (the first failure is a warning)]:CONDITION:_default' \
'--fail-on=[Fail the run (exit 1, everything before it written or delivered, state saved) at the first event for which this jq condition is true, showing its type and data\: an error a server sends inside the stream, e.g. '\''.event == "error"'\'' (Anthropic) or '\''.data | objects | has("error")'\'' (OpenAI). It sees every event, as --until does and before it; the event is not written, and the resume point stays before it]:CONDITION:_default' \
'--duration=[Exit 0 after this long (e.g. 10m, 1h30m); 0 turns it off, as in timeout(1)]:DURATION:_default' \
'--max-event-size=[Drop (with a warning) events whose data is larger than this (e.g. 16MiB, 512KiB, 1000000), or whose id or event line is larger than this or 1MiB, whichever is less]:SIZE:_default' \
'-b+[Send events to these Kafka brokers instead of stdout]:HOST\:PORT[,...]:_default' \
'--brokers=[Send events to these Kafka brokers instead of stdout]:HOST\:PORT[,...]:_default' \
'-t+[Kafka topic; '\''{event}'\'' in it is replaced by each event'\''s type]:NAME:_default' \
'--topic=[Kafka topic; '\''{event}'\'' in it is replaced by each event'\''s type]:NAME:_default' \
'--key=[Record key\: none, id, event, or a JSON pointer (/a/b) into the data]:KEY:_default' \
'*--kafka-property=[Set a librdkafka property (repeatable), e.g. compression.type=zstd]:KEY=VALUE:_default' \
'-F+[Read librdkafka properties from a file (key=value lines, # comments), like kcat -F. Put secrets here, in a file only you can read]:FILE:_files' \
'--kafka-config=[Read librdkafka properties from a file (key=value lines, # comments), like kcat -F. Put secrets here, in a file only you can read]:FILE:_files' \
'--flush-timeout=[At exit, wait this long for Kafka to acknowledge what is in flight; while its queue is full, give up (exit 1) when Kafka has acknowledged nothing for this long \[default\: 30s\]]:DURATION:_default' \
'--dead-letter-topic=[Send an event Kafka refuses for good (too large, an illegal or missing routed topic, invalid or against policy) to this topic instead of failing the run; headers ssetap.error and ssetap.topic say why and where]:TOPIC:_default' \
'--stats-interval=[Also print the --stats JSON line every DURATION (e.g. 1m; at least 1s), terminal or not; implies --stats]:DURATION:_default' \
'--log-format=[How stderr lines look\: text, or json (one {"time","level","msg"} object per line, secrets redacted; a --stats line is {"msg"\:"stats","stats"\:{…}})]:FORMAT:(text json)' \
'--metrics=[Serve Prometheus metrics at http\://ADDR/metrics (ADDR\: 127.0.0.1\:9464, or \:9464 for every interface), and GET /healthz\: 200 while connected or reconnecting for less than twice --retry-max, else 503 with the reason; 503 too when the main loop has not moved for a minute (past --flush-timeout with Kafka), stuck on output nobody reads. Counters\: ssetap_events_total, ssetap_bytes_total, ssetap_comments_total, ssetap_filtered_total, ssetap_dropped_total, ssetap_duplicates_total, ssetap_jq_errors_total, ssetap_reconnects_total, and with Kafka ssetap_kafka_delivered_total, ssetap_kafka_failed_total (and ssetap_dead_lettered_total with --dead-letter-topic). Gauges\: ssetap_connected (0/1), ssetap_kafka_in_flight (Kafka), ssetap_last_event_timestamp_seconds (lag = now minus this), ssetap_retry_seconds, ssetap_build_info{version}. The figures are at most a second old and those at exit equal --stats]:ADDR:_default' \
'--generate=[Print the man page (man) or a shell completion script (complete-bash, complete-zsh, complete-fish) to stdout and exit, so that an install needs no source tree\: ssetap --generate man > ssetap.1]:KIND:(man complete-bash complete-zsh complete-fish)' \
'(--no-compression)--compressed[Accepted as curl'\''s flag, which a browser'\''s "Copy as cURL" may write\: gzip is asked for already]' \
'--no-compression[Do not ask for gzip (no Accept-Encoding header). Use it when a server that compresses without flushing delays events]' \
'--ignore-content-type[Accept a 200 response whatever its Content-Type (e.g. a .sse file on a static server), with a warning. Default\: only text/event-stream]' \
'-k[Do not verify TLS certificates (warns on stderr)]' \
'--insecure[Do not verify TLS certificates (warns on stderr)]' \
'--no-reconnect[Exit when the stream ends instead of reconnecting]' \
'(--no-reconnect)--reconnect[Send a request with a body (-d) again when its stream ends or is lost, with Last-Event-ID, as for GET (e.g. long-lived POST or REPORT subscriptions). Without it such a request is sent once]' \
'--json-data[Embed data that parses as JSON as JSON instead of a string (json)]' \
'--timestamp[Add "time"\: the receive time, RFC 3339 UTC with milliseconds (json)]' \
'(-b --brokers -t --topic -F --kafka-config --kafka-property)--comments[Also output comment lines (json\: {"comment"\:…}); stdout only]' \
'(--comments)-j[Write each output with no newline after it, as jq -j\: with --jq a string is written raw (-j implies jq'\''s -r), anything else as compact JSON; -f data writes the data alone. For LLM token streams. Stdout only, not with -f sse or --comments]' \
'(--comments)--join-output[Write each output with no newline after it, as jq -j\: with --jq a string is written raw (-j implies jq'\''s -r), anything else as compact JSON; -f data writes the data alone. For LLM token streams. Stdout only, not with -f sse or --comments]' \
'-q[No connection messages on stderr (warnings and errors still appear)]' \
'--quiet[No connection messages on stderr (warnings and errors still appear)]' \
'(-q --quiet)-v[Also show request and response headers (credentials redacted)]' \
'(-q --quiet)--verbose[Also show request and response headers (credentials redacted)]' \
'--stats[Print a JSON summary to stderr at exit, and a live status line when stderr is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':input -- An http(s) URL to connect to, a file of recorded SSE, or - for stdin:_default' \
&& ret=0
}

(( $+functions[_ssetap_commands] )) ||
_ssetap_commands() {
    local commands; commands=()
    _describe -t commands 'ssetap commands' commands "$@"
}

if [ "$funcstack[1]" = "_ssetap" ]; then
    _ssetap "$@"
else
    compdef _ssetap ssetap
fi
